// Name registry: maps the class names written in CalendarServer configuration files (dotted
// Python paths such as "contrib.performance.loadtest.ical.OS_X_10_7") and their short forms
// ("OS_X_10_7") to one canonical short name per kind of thing.
//
// Every place that accepts a class name resolves it here, so an unknown name always produces
// the same error listing the known ones. The tables are constant; thread-safe.
#ifndef LOADSIM_COMMON_REGISTRY_H_
#define LOADSIM_COMMON_REGISTRY_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace loadsim {

enum class NameKind {
  kClientSoftware,  // OS_X_10_6, OS_X_10_7, iOS_5, Robot
  kProfile,         // Eventer, Tasker, Inviter, RealisticInviter, Accepter
  kObserver,        // ReportStatistics, SimpleStatistics, RequestLogger, OperationLogger
  kArrival,         // SmoothRampUp
  kAccountLoader,   // recordsFromCSVFile, generateRecords, recordsFromCount
  kDistribution,    // UniformDiscreteDistribution, ..., RecurrenceDistribution
};

// "client software", "profile", ... for messages.
const char* NameKindLabel(NameKind kind);

// The canonical short name for `name` (dotted or short). InvalidArgument naming the kind and
// listing every known short name if it is unknown. The dotted prefix must be the one
// CalendarServer uses for that kind (e.g. a profile cannot be spelled "...ical.Eventer").
absl::StatusOr<std::string> ResolveName(NameKind kind, absl::string_view name);

// Known short names of a kind, in a stable order.
std::vector<std::string> KnownNames(NameKind kind);

// The CalendarServer dotted spelling of a canonical short name ("" if it has none, e.g. Robot).
std::string DottedName(NameKind kind, absl::string_view short_name);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_REGISTRY_H_
