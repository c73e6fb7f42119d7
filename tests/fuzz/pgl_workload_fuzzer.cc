// libFuzzer target for the PGL front end: arbitrary text is a workload file (with two small
// in-memory files it may #include), evaluated as a PGL-only run and as an addition to a
// config. Whatever evaluates is lowered through the config loader as loadsim-master would do.
// Evaluation must never crash, hang or invoke undefined behaviour; every error must carry a
// location; and every accepted run spec must satisfy the phase rules (factors in range, ramps
// with a positive goal, unique names without whitespace) and hold usable distributions and
// selectors.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "common/config.h"
#include "common/distribution.h"
#include "common/pgl.h"
#include "common/selector.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

const std::map<std::string, std::string>& Library() {
  static const auto* files = new std::map<std::string, std::string>{
      {"/fuzz/robot.pg",
       "Robot R = { origins = [\"http://127.0.0.1:1/{id}\" : 50%, \"http://127.0.0.1:1/\"];\n"
       "  req_rate = 2/sec; recurrence = 55%; pop_model = { pop_distr = popZipf(0.6); }; };\n"},
      {"/fuzz/phases.pg",
       "Phase warm = { name = \"warm\"; goal.duration = 1min; load_factor_beg = 10%; };\n"
       "Phase top = { name = \"top\"; goal.xactions = 100; load_factor_end = 100%; };\n"},
  };
  return *files;
}

void CheckDistribution(const loadsim::v1::Distribution& d) {
  absl::StatusOr<loadsim::NumberSampler> sampler = loadsim::NumberSampler::Create(d);
  Check(sampler.ok());
  loadsim::RandomStream rng(1);
  for (int i = 0; i < 4; ++i) Check(std::isfinite(sampler->Sample(rng)));
}

void CheckSpec(const loadsim::v1::RunSpec& spec) {
  std::set<std::string> names;
  for (const loadsim::v1::PhaseSpec& p : spec.phases()) {
    Check(!p.name().empty());
    for (char c : p.name()) Check(c != ' ' && c != '\t' && c != '\n' && c != '\r');
    Check(names.insert(p.name()).second);
    for (double f : {p.populus_factor_beg(), p.populus_factor_end()}) Check(f >= 0 && f <= 1);
    for (double f : {p.load_factor_beg(), p.load_factor_end()}) Check(std::isfinite(f) && f >= 0);
    const bool ramp = p.load_factor_beg() != p.load_factor_end() ||
                      p.populus_factor_beg() != p.populus_factor_end();
    Check(!ramp || p.goal().duration_seconds() > 0 || p.goal().xactions() > 0);
    Check(p.goal().errors() >= 0 && p.goal().errors_min_sample() >= 1);
  }
  for (const loadsim::v1::ClientSpec& c : spec.clients()) {
    if (!c.has_robot()) continue;
    const loadsim::v1::RobotParams& r = c.robot();
    Check(loadsim::SelectorSampler::Create(r.origins()).ok());
    Check(loadsim::SelectorSampler::Create(r.req_methods()).ok());
    if (r.has_req_inter_arrival()) CheckDistribution(r.req_inter_arrival());
    if (r.has_pconn_use_lmt()) CheckDistribution(r.pconn_use_lmt());
    if (r.has_session()) {
      CheckDistribution(r.session().busy_period());
      CheckDistribution(r.session().idle_period_duration());
    }
    Check(r.recurrence() >= 0 && r.recurrence() <= 1);
    Check(r.recurrence() == 0 || r.has_pop_model());
  }
}

void Evaluate(const std::string& text, bool with_config) {
  loadsim::PglOptions options;
  options.with_config = with_config;
  options.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = Library().find(path);
    if (it == Library().end()) return absl::NotFoundError(path);
    return it->second;
  };
  absl::StatusOr<loadsim::PglWorkload> pgl = loadsim::EvaluatePgl(text, "/fuzz/w.pg", options);
  if (!pgl.ok()) {
    // Every error names where it is: "/fuzz/<file>:line:column: ..." (or the file alone).
    Check(absl::StartsWith(pgl.status().message(), "/fuzz/"));
    return;
  }
  Check(pgl->doc.is(loadsim::Value::Type::kDict));
  if (!with_config && pgl->robots == 0) return;
  // Keep generated account lists small: the loader makes one record per user.
  if (const loadsim::Value* arrival = pgl->doc.Find("arrival")) {
    const loadsim::Value* size = arrival->Find("params")->Find("groupSize");
    if (size->integer_value() > 1000) return;
  }
  loadsim::ConfigFiles files;
  absl::StatusOr<loadsim::LoadedConfig> loaded =
      loadsim::LoadConfigFromValues(files, pgl->doc, nullptr);
  if (loaded.ok()) CheckSpec(loaded->spec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Evaluate(text, false);
  Evaluate(text, true);
  return 0;
}
