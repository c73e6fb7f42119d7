// Helpers shared by the configuration-reader tests: per-test temporary files and the text of
// collected diagnostics. Header-only; each test uses its own directory, so tests may run in
// parallel.
#ifndef LOADSIM_TESTS_COMMON_TESTING_UTIL_H_
#define LOADSIM_TESTS_COMMON_TESTING_UTIL_H_

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/diagnostics.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace testing_util {

// A directory of the running test's own (created if needed), without a trailing slash.
inline std::string TestTempDir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              absl::StrCat("loadsim_", info->test_suite_name(), ".", info->name());
  std::filesystem::create_directories(dir);
  return dir.lexically_normal().string();
}

// Writes `content` to `path` (bytes as given) and returns the path.
inline std::string WriteTestFile(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

// Every entry as "file:line: key.path: message" (warnings with "warning: "), in order.
inline std::vector<std::string> DiagnosticMessages(const Diagnostics& diags) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diags.entries()) out.push_back(d.ToString());
  return out;
}

}  // namespace testing_util
}  // namespace loadsim

#endif  // LOADSIM_TESTS_COMMON_TESTING_UTIL_H_
