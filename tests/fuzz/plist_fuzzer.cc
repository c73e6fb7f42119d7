// libFuzzer target: arbitrary bytes into the plist reader. Any input must yield a Value or a
// located error, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/plist.h"

namespace {

// Walks the tree so every accessor runs on whatever the reader built.
size_t Walk(const loadsim::Value& v) {
  size_t n = 1 + v.string_value().size() + static_cast<size_t>(v.location().line > 0);
  for (const loadsim::Value& child : v.items()) n += Walk(child);
  for (const std::string& key : v.keys()) n += v.Find(key) != nullptr;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<loadsim::Value> v = loadsim::ParsePlist(text, "fuzz.plist");
  if (v.ok()) {
    volatile size_t n = Walk(*v);
    (void)n;
  } else {
    volatile size_t n = v.status().message().size();
    (void)n;
  }
  return 0;
}
