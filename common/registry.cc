#include "common/registry.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace loadsim {
namespace {

struct Entry {
  NameKind kind;
  const char* short_name;
  const char* module;  // CalendarServer module holding the class; nullptr if ours only
};

constexpr Entry kEntries[] = {
    {NameKind::kClientSoftware, "OS_X_10_6", "contrib.performance.loadtest.ical"},
    {NameKind::kClientSoftware, "OS_X_10_7", "contrib.performance.loadtest.ical"},
    {NameKind::kClientSoftware, "iOS_5", "contrib.performance.loadtest.ical"},
    {NameKind::kClientSoftware, "Robot", nullptr},
    {NameKind::kProfile, "Eventer", "contrib.performance.loadtest.profiles"},
    {NameKind::kProfile, "Tasker", "contrib.performance.loadtest.profiles"},
    {NameKind::kProfile, "Inviter", "contrib.performance.loadtest.profiles"},
    {NameKind::kProfile, "RealisticInviter", "contrib.performance.loadtest.profiles"},
    {NameKind::kProfile, "Accepter", "contrib.performance.loadtest.profiles"},
    {NameKind::kObserver, "ReportStatistics", "contrib.performance.loadtest.population"},
    {NameKind::kObserver, "SimpleStatistics", "contrib.performance.loadtest.population"},
    {NameKind::kObserver, "RequestLogger", "contrib.performance.loadtest.ical"},
    {NameKind::kObserver, "OperationLogger", "contrib.performance.loadtest.profiles"},
    {NameKind::kArrival, "SmoothRampUp", "contrib.performance.loadtest.population"},
    {NameKind::kAccountLoader, "recordsFromCSVFile", "contrib.performance.loadtest.sim"},
    {NameKind::kAccountLoader, "generateRecords", "contrib.performance.loadtest.sim"},
    {NameKind::kAccountLoader, "recordsFromCount", "contrib.performance.loadtest.sim"},
    {NameKind::kDistribution, "UniformDiscreteDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "UniformIntegerDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "NormalDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "FixedDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "LogNormalDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "NearFutureDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "WorkDistribution", "contrib.performance.stats"},
    {NameKind::kDistribution, "RecurrenceDistribution", "contrib.performance.stats"},
};

}  // namespace

const char* NameKindLabel(NameKind kind) {
  switch (kind) {
    case NameKind::kClientSoftware:
      return "client software";
    case NameKind::kProfile:
      return "profile";
    case NameKind::kObserver:
      return "observer";
    case NameKind::kArrival:
      return "arrival policy";
    case NameKind::kAccountLoader:
      return "account loader";
    case NameKind::kDistribution:
      return "distribution";
  }
  return "name";
}

absl::StatusOr<std::string> ResolveName(NameKind kind, absl::string_view name) {
  for (const Entry& e : kEntries) {
    if (e.kind != kind) continue;
    if (name == e.short_name) return std::string(e.short_name);
    if (e.module != nullptr && name == absl::StrCat(e.module, ".", e.short_name)) {
      return std::string(e.short_name);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ", NameKindLabel(kind), " '", name,
                                                 "'; known: ",
                                                 absl::StrJoin(KnownNames(kind), ", ")));
}

std::vector<std::string> KnownNames(NameKind kind) {
  std::vector<std::string> out;
  for (const Entry& e : kEntries) {
    if (e.kind == kind) out.push_back(e.short_name);
  }
  return out;
}

std::string DottedName(NameKind kind, absl::string_view short_name) {
  for (const Entry& e : kEntries) {
    if (e.kind == kind && short_name == e.short_name && e.module != nullptr) {
      return absl::StrCat(e.module, ".", e.short_name);
    }
  }
  return "";
}

}  // namespace loadsim
