// PGL selectors: a list of string items with optional probabilities, normalised exactly as
// Polygraph does (polygraph.md section 1.4 rules 1-6), with two deliberate fixes: wild cards
// never get a negative share (rule 8), and any explicit sum that is not exactly 100% is
// rescaled with a warning (Polygraph silently accepts 99%..101%).
//
// Configuration forms (at key_path):
//   "item"                         one item, probability 1
//   ["a", "b : 30%", "c:0.5"]      items; a probability follows " : " (whitespace on both
//                                  sides) or a colon whose remainder ends in '%', so URLs
//                                  such as "http://h:8080/x" are never split
//   [{value: "a", probability: "30%"}, ...]   the same as dicts (probability 0.3 or "30%")
//   [[...], {items: [...], probability: "40%"}]  nested groups: a group is one item of the
//                                  outer list; its items' shares multiply by its share
// Normalisation of one list of n items, k with an explicit probability summing to S:
//   k = 0                     uniform (rule 1)
//   0 < k < n, S <= 100%      explicit kept, wild cards share max(0, 1 - S) (rules 2, 8)
//   0 < k < n, S > 100%       explicit / S, wild cards 0, warning (rule 4)
//   k = n, S = 100%           as given (rule 5, exact up to 1e-9)
//   k = n, S != 100%          divided by S, warning; S = 0: uniform (rules 3, 4)
// Errors (with file:line and key path): an empty selector or group, a probability below 0 or
// above 100%, a malformed probability, an item of the wrong type.
//
// SelectorSampler picks items with the normalised probabilities from an exact cumulative
// table. Functions are stateless; a SelectorSampler is immutable after Create and safe to
// share between threads (each caller passes its own RandomStream).
#ifndef LOADSIM_COMMON_SELECTOR_H_
#define LOADSIM_COMMON_SELECTOR_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "common/random.h"
#include "common/value.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {

// The selector written at `value`, flattened to leaves whose probabilities sum to 1;
// nullopt after reporting at least one error to `diags` (rescaling is a warning).
std::optional<v1::Selector> SelectorFromValue(const Value& value, absl::string_view key_path,
                                              Diagnostics* diags);

// "[a : 30%, b : 70%]", for start-up summaries.
std::string FormatSelector(const v1::Selector& selector);

class SelectorSampler {
 public:
  // InvalidArgument if the selector is empty or its probabilities are negative, non-finite or
  // all zero. Probabilities are used relative to their sum.
  static absl::StatusOr<SelectorSampler> Create(const v1::Selector& selector);

  // Index i with probability items[i].probability.
  size_t Pick(RandomStream& rng) const;
  // items[Pick(rng)].value.
  const std::string& PickValue(RandomStream& rng) const;

  size_t size() const { return values_.size(); }
  const std::string& value(size_t i) const { return values_[i]; }

 private:
  SelectorSampler(std::vector<std::string> values, WeightedChoice choice)
      : values_(std::move(values)), choice_(std::move(choice)) {}

  std::vector<std::string> values_;
  WeightedChoice choice_;
};

}  // namespace loadsim

#endif  // LOADSIM_COMMON_SELECTOR_H_
