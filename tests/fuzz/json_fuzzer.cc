// libFuzzer target for the JSON reader (common/json.h) and the thresholds/benchmarks validation
// built on it. Checks that ParseJson never crashes, agrees with nlohmann's own validator on
// what is JSON, and gives every value a line inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/json.h"
#include "common/thresholds.h"
#include "nlohmann/json.hpp"

namespace {

void CheckLines(const loadsim::Value& v, int max_line) {
  if (v.location().line < 1 || v.location().line > max_line) std::abort();
  for (const loadsim::Value& item : v.items()) CheckLines(item, max_line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<loadsim::Value> v = loadsim::ParseJson(text, "fuzz.json");
  if (!v.ok()) return 0;
  // Whatever we accept, nlohmann's validator accepts too (we only reject more: duplicate keys,
  // depth).
  if (!nlohmann::json::accept(text.begin(), text.end())) std::abort();
  int lines = 1;
  for (char c : text) lines += (c == '\n');
  CheckLines(*v, lines);
  loadsim::Diagnostics diags;
  (void)loadsim::ThresholdsFromValue(*v, "fuzz.json", &diags);
  (void)loadsim::BenchmarksFromValue(*v, "fuzz.json", &diags);
  return 0;
}
