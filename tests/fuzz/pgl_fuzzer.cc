// libFuzzer target for the PGL literal and distribution parsers: arbitrary text goes to
// ParseQuantity (and the typed unit parsers) and, wrapped in a string Value, to
// DistributionFromValue for every value kind; whatever parses is turned into a sampler and
// sampled a few times. Parsing must never crash, hang or invoke undefined behaviour, and every
// accepted distribution must build a sampler whose draws are finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "common/diagnostics.h"
#include "common/distribution.h"
#include "common/distribution_config.h"
#include "common/random.h"
#include "common/units.h"
#include "common/value.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void SampleNumbers(const loadsim::v1::Distribution& d) {
  absl::StatusOr<loadsim::NumberSampler> sampler = loadsim::NumberSampler::Create(d);
  Check(sampler.ok());  // configuration accepted it, so the sampler must too
  loadsim::RandomStream rng(1);
  for (int i = 0; i < 8; ++i) Check(std::isfinite(sampler->Sample(rng)));
  (void)sampler->Mean();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  (void)loadsim::ParseQuantity(text);
  (void)loadsim::ParseTime(text);
  (void)loadsim::ParseSize(text);
  (void)loadsim::ParseRate(text);
  (void)loadsim::ParseRatio(text);

  const loadsim::Value value = loadsim::Value::String(text, loadsim::Location{"fuzz.plist", 1});
  for (loadsim::v1::ValueKind kind :
       {loadsim::v1::VALUE_KIND_UNSPECIFIED, loadsim::v1::VALUE_KIND_NUMBER,
        loadsim::v1::VALUE_KIND_TIME, loadsim::v1::VALUE_KIND_SIZE,
        loadsim::v1::VALUE_KIND_DATETIME, loadsim::v1::VALUE_KIND_RRULE}) {
    loadsim::Diagnostics diags;
    std::optional<loadsim::v1::Distribution> d =
        loadsim::DistributionFromValue(value, kind, "fuzz", &diags);
    Check(d.has_value() != diags.has_errors());
    if (!d) continue;
    (void)loadsim::FormatDistribution(*d);
    switch (kind) {
      case loadsim::v1::VALUE_KIND_NUMBER:
      case loadsim::v1::VALUE_KIND_TIME:
      case loadsim::v1::VALUE_KIND_SIZE:
        SampleNumbers(*d);
        break;
      default:
        std::abort();  // strings are never date-time or recurrence distributions
    }
  }
  return 0;
}
