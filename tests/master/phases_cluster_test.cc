// Phases on the cluster with real processes: a PGL workload of robots against a real nginx,
// run by a master and 3 local workers. Checks that a duration goal and an xactions goal end
// their phases at the right time and merged count, and that the measured request rate
// follows a load-factor ramp within a tolerance derived from Poisson variance.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "loadsim/v1/results.pb.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/spawned_process.h"

namespace loadsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::NginxServer;
using testing::SpawnedProcess;

const std::string kMaster = std::string(LOADSIM_BINARY_DIR) + "/master/loadsim-master";

constexpr double kRobots = 30;
constexpr double kRatePerRobot = 20;  // 600 requests per second at 100%
constexpr double kFull = kRobots * kRatePerRobot;
constexpr uint64_t kXactions = 1500;
constexpr double kRampSeconds = 6;

std::string Workload(const std::string& url) {
  std::ostringstream w;
  w << "Robot R = { kind = \"R\"; origins = [ \"" << url << "\" ];\n"
    << "  req_rate = " << kRatePerRobot << "/sec; count = " << kRobots << "; };\n"
    << "Phase pFlat = { name = \"flat\"; goal.duration = 4sec; load_factor_beg = 50%; };\n"
    << "Phase pX = { name = \"xact\"; goal.xactions = " << kXactions
    << "; load_factor_beg = 100%; };\n"
    << "Phase pRamp = { name = \"ramp\"; goal.duration = " << kRampSeconds
    << "sec; load_factor_beg = 20%; load_factor_end = 100%; };\n"
    << "schedule(pFlat, pX, pRamp);\nuse(R);\n";
  return w.str();
}

// Transactions (non-scheduling labels) of a label list.
uint64_t Transactions(const google::protobuf::RepeatedPtrField<v1::LabelStats>& labels) {
  uint64_t n = 0;
  for (const v1::LabelStats& l : labels) {
    if (l.label().rfind("lag{", 0) == 0 || l.label().rfind("blocked{", 0) == 0) continue;
    n += l.count();
  }
  return n;
}

TEST(PhasesClusterTest, GoalsEndPhasesAndTheRateFollowsTheRamp) {
  NginxServer nginx;
  ASSERT_TRUE(nginx.Start()) << nginx.error();
  fs::path dir = fs::temp_directory_path() / ("loadsim-phases-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ramp.pg") << Workload(nginx.Url("/1k.html"));
  SpawnedProcess master;
  ASSERT_TRUE(master.Start(
      {kMaster, "--workload", (dir / "ramp.pg").string(), "--local-workers", "3", "--stats-cycle",
       "1s", "--runtime", "60s", "--output", (dir / "out").string(), "--seed", "7"},
      {}, (dir / "master.out").string()));
  int status = master.WaitExit(90);
  std::string out = ReadFile((dir / "master.out").string()).value_or("");
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("all 3 phases met their goals"));
  EXPECT_THAT(out, HasSubstr("| i-flat "));
  EXPECT_THAT(out, HasSubstr("| p-xact "));
  EXPECT_THAT(out, HasSubstr("* Phase ramp"));

  v1::Results r;
  absl::StatusOr<std::string> json = ReadFile((dir / "out/results.json").string());
  ASSERT_TRUE(json.ok());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &r).ok());
  ASSERT_EQ(r.phases_size(), 3);
  const v1::PhaseResults& flat = r.phases(0);
  const v1::PhaseResults& xact = r.phases(1);
  const v1::PhaseResults& ramp = r.phases(2);
  EXPECT_EQ(flat.ended_by(), "duration");
  EXPECT_NEAR(flat.end_seconds() - flat.start_seconds(), 4.0, 0.3);
  // 50% of 600/s for 4 s; 5 standard deviations plus one tick of slack at each edge.
  double flat_expected = 0.5 * kFull * 4;
  EXPECT_NEAR(static_cast<double>(Transactions(flat.labels())), flat_expected,
              5 * std::sqrt(flat_expected) + 0.5 * kFull * 0.2);

  // The xactions goal ends on the merged count of all three workers: at least the goal, and
  // at most what arrives in the ~1 s it takes deltas to reach the master, plus a tick.
  EXPECT_EQ(xact.ended_by(), "xactions");
  uint64_t x = Transactions(xact.labels());
  EXPECT_GE(x, kXactions);
  EXPECT_LE(static_cast<double>(x), kXactions + kFull * 1.5);

  // The ramp: rows of 1 s inside the phase (the first and last second skipped) hold
  // 600 x the integral of the load factor over the row, within 5 standard deviations.
  EXPECT_EQ(ramp.ended_by(), "duration");
  auto lf = [&](double t) {
    return 0.2 + 0.8 * std::clamp((t - ramp.start_seconds()) / kRampSeconds, 0.0, 1.0);
  };
  int checked = 0;
  std::map<int64_t, uint64_t> per_row;
  for (const v1::IntervalResults& row : r.intervals()) {
    if (row.phase_index() != 2) continue;
    per_row[row.index()] += Transactions(row.labels());
  }
  for (const auto& [index, count] : per_row) {
    double a = static_cast<double>(index), b = a + 1;
    if (a < ramp.start_seconds() + 1 || b > ramp.end_seconds() - 1) continue;
    double expected = kFull * 0.5 * (lf(a) + lf(b));  // lf is linear inside the row
    EXPECT_NEAR(static_cast<double>(count), expected, 5 * std::sqrt(expected))
        << "second " << index << " of the ramp starting at " << ramp.start_seconds();
    ++checked;
  }
  EXPECT_GE(checked, 3);
  // And the rate rises: the last checked second carries clearly more than the first.
  ASSERT_GE(per_row.size(), 2u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace loadsim
