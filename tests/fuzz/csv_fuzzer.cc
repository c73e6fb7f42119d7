// libFuzzer target for the accounts CSV parser (common/accounts.h). Checks that it never
// crashes and that accepted input yields non-empty, unique uids, with interleaving only
// reordering the records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/accounts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<loadsim::v1::Account>> plain =
      loadsim::ParseAccountsCsv(text, "fuzz.csv", /*interleave_pods=*/false);
  absl::StatusOr<std::vector<loadsim::v1::Account>> mixed =
      loadsim::ParseAccountsCsv(text, "fuzz.csv", /*interleave_pods=*/true);
  if (plain.ok() != mixed.ok()) std::abort();
  if (!plain.ok()) return 0;
  if (plain->empty() || plain->size() != mixed->size()) std::abort();
  std::set<std::string> a, b;
  for (const loadsim::v1::Account& x : *plain) {
    if (x.uid().empty() || !a.insert(x.uid()).second) std::abort();
  }
  for (const loadsim::v1::Account& x : *mixed) b.insert(x.uid());
  if (a != b) std::abort();
  return 0;
}
