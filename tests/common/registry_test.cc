#include "common/registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, DottedAndShortNamesResolveToTheShortName) {
  EXPECT_EQ(*ResolveName(NameKind::kClientSoftware, "contrib.performance.loadtest.ical.OS_X_10_7"),
            "OS_X_10_7");
  EXPECT_EQ(*ResolveName(NameKind::kClientSoftware, "iOS_5"), "iOS_5");
  EXPECT_EQ(*ResolveName(NameKind::kProfile, "contrib.performance.loadtest.profiles.Accepter"),
            "Accepter");
  EXPECT_EQ(*ResolveName(NameKind::kObserver, "contrib.performance.loadtest.ical.RequestLogger"),
            "RequestLogger");
  EXPECT_EQ(*ResolveName(NameKind::kArrival,
                         "contrib.performance.loadtest.population.SmoothRampUp"),
            "SmoothRampUp");
  EXPECT_EQ(*ResolveName(NameKind::kAccountLoader,
                         "contrib.performance.loadtest.sim.recordsFromCSVFile"),
            "recordsFromCSVFile");
  EXPECT_EQ(*ResolveName(NameKind::kDistribution,
                         "contrib.performance.stats.LogNormalDistribution"),
            "LogNormalDistribution");
}

TEST(RegistryTest, UnknownNameListsKnownOnes) {
  absl::StatusOr<std::string> r = ResolveName(NameKind::kProfile, "Eventor");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("unknown profile 'Eventor'; known: Eventer, Tasker, Inviter, "
                        "RealisticInviter, Accepter"));
}

TEST(RegistryTest, WrongModuleIsRejected) {
  EXPECT_FALSE(ResolveName(NameKind::kProfile, "contrib.performance.loadtest.ical.Eventer").ok());
  EXPECT_FALSE(ResolveName(NameKind::kClientSoftware, "Eventer").ok());
}

TEST(RegistryTest, DottedNameRoundTrips) {
  for (NameKind kind : {NameKind::kClientSoftware, NameKind::kProfile, NameKind::kObserver,
                        NameKind::kArrival, NameKind::kAccountLoader, NameKind::kDistribution}) {
    for (const std::string& name : KnownNames(kind)) {
      std::string dotted = DottedName(kind, name);
      if (dotted.empty()) continue;  // our own additions (Robot) have no dotted form
      EXPECT_EQ(*ResolveName(kind, dotted), name);
    }
  }
}

}  // namespace
}  // namespace loadsim
