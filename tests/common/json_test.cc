#include "common/json.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Value MustParse(absl::string_view text) {
  absl::StatusOr<Value> v = ParseJson(text, "t.json");
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Value();
}

std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<Value> v = ParseJson(text, "t.json");
  EXPECT_FALSE(v.ok());
  return v.ok() ? "" : std::string(v.status().message());
}

TEST(JsonTest, ScalarsAndTypes) {
  Value v = MustParse(R"({"s": "x", "i": -3, "u": 42, "r": 1.5, "e": 1e2, "t": true,
                          "f": false, "n": null, "big": 9223372036854775807,
                          "huge": 9223372036854775808, "min": -9223372036854775808})");
  ASSERT_TRUE(v.is(Value::Type::kDict));
  EXPECT_EQ(v.Find("s")->string_value(), "x");
  EXPECT_TRUE(v.Find("i")->is(Value::Type::kInteger));
  EXPECT_EQ(v.Find("i")->integer_value(), -3);
  EXPECT_EQ(v.Find("u")->integer_value(), 42);
  EXPECT_TRUE(v.Find("r")->is(Value::Type::kReal));
  EXPECT_DOUBLE_EQ(v.Find("r")->real_value(), 1.5);
  EXPECT_TRUE(v.Find("e")->is(Value::Type::kReal));  // not an integer literal
  EXPECT_DOUBLE_EQ(v.Find("e")->real_value(), 100);
  EXPECT_TRUE(v.Find("t")->is(Value::Type::kBool));
  EXPECT_TRUE(v.Find("t")->bool_value());
  EXPECT_FALSE(v.Find("f")->bool_value());
  EXPECT_TRUE(v.Find("n")->is(Value::Type::kNull));
  EXPECT_EQ(v.Find("big")->integer_value(), INT64_MAX);
  EXPECT_TRUE(v.Find("huge")->is(Value::Type::kReal));  // beyond int64
  EXPECT_EQ(v.Find("min")->integer_value(), INT64_MIN);
}

TEST(JsonTest, RealWithZeroFractionIsReal) {
  Value v = MustParse("[1.0, 1, -0]");
  EXPECT_TRUE(v.items()[0].is(Value::Type::kReal));
  EXPECT_TRUE(v.items()[1].is(Value::Type::kInteger));
  EXPECT_TRUE(v.items()[2].is(Value::Type::kInteger));
}

TEST(JsonTest, KeepsKeyOrder) {
  Value v = MustParse(R"({"z": 1, "a": 2, "m": 3})");
  EXPECT_THAT(v.keys(), ::testing::ElementsAre("z", "a", "m"));
}

TEST(JsonTest, TopLevelScalarAndStringEscapes) {
  Value v = MustParse(R"("a\"b\\c\u00e9\ud83d\ude00")");
  EXPECT_EQ(v.string_value(), "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(MustParse("  7  ").integer_value(), 7);
}

TEST(JsonTest, LinesOfKeysAndValuesInMultiLineDocument) {
  const char* text =
      "{\n"                             // 1
      "  \"requests\": {\n"             // 2
      "    \"limits\": [0.1,\n"         // 3
      "                 0.5,\n"         // 4
      "                 1\n"            // 5
      "    ],\n"                        // 6
      "    \"n\":\n"                    // 7
      "      12\n"                      // 8
      "  },\n"                          // 9
      "\n"                              // 10
      "  \"t\": true, \"s\": \"x\",\n"  // 11
      "  \"z\": null\n"                 // 12
      "}\n";                            // 13
  Value v = MustParse(text);
  EXPECT_EQ(v.location().line, 1);
  EXPECT_EQ(v.location().file, "t.json");
  const Value* requests = v.Find("requests");
  EXPECT_EQ(requests->location().line, 2);
  const Value* limits = requests->Find("limits");
  EXPECT_EQ(limits->location().line, 3);
  EXPECT_EQ(limits->items()[0].location().line, 3);
  EXPECT_EQ(limits->items()[1].location().line, 4);
  EXPECT_EQ(limits->items()[2].location().line, 5);  // read ahead over the newline
  EXPECT_EQ(requests->Find("n")->location().line, 8);
  EXPECT_EQ(v.Find("t")->location().line, 11);
  EXPECT_EQ(v.Find("s")->location().line, 11);
  EXPECT_EQ(v.Find("z")->location().line, 12);
}

TEST(JsonTest, NumberLinesWithCrLfAndAtEndOfInput) {
  Value v = MustParse("[1\r\n,2\r\n,\r\n3]");
  EXPECT_EQ(v.items()[0].location().line, 1);
  EXPECT_EQ(v.items()[1].location().line, 2);
  EXPECT_EQ(v.items()[2].location().line, 4);
  EXPECT_EQ(MustParse("\n\n5").location().line, 3);
  EXPECT_EQ(MustParse("\n\n5\n\n").location().line, 3);
  EXPECT_EQ(MustParse("\n-2.5e1\n").location().line, 2);
}

TEST(JsonTest, ByteOrderMarkIsSkipped) {
  Value v = MustParse("\xEF\xBB\xBF{\"a\":\n1}");
  EXPECT_EQ(v.Find("a")->location().line, 2);
}

TEST(JsonTest, DuplicateKeyNamesBothLines) {
  EXPECT_EQ(ErrorOf("{\n\"a\": {\n  \"b\": 1,\n  \"c\": 2,\n  \"b\": 3}}"),
            "t.json:5: a.b: duplicate key (first defined at line 3)");
  // The line of the first key, not of its value.
  EXPECT_EQ(ErrorOf("{\"b\":\n 1,\n\"b\": 2}"),
            "t.json:3: b: duplicate key (first defined at line 1)");
}

TEST(JsonTest, DuplicateKeyInsideArrayHasIndexedPath) {
  EXPECT_EQ(ErrorOf("[0, {\"x\": 1,\n \"x\": 2}]"),
            "t.json:2: [1].x: duplicate key (first defined at line 1)");
}

TEST(JsonTest, SyntaxErrorNamesLine) {
  std::string e = ErrorOf("{\n  \"a\": 1,\n  \"b\": tru\n}");
  EXPECT_THAT(e, StartsWith("t.json:3: malformed JSON: "));
  EXPECT_THAT(e, HasSubstr("invalid literal"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("json.exception")));
}

TEST(JsonTest, MissingCommaAfterNumberAtLineEnd) {
  // The lexer reads past "1" to the newline; the error is at "2" on the next line.
  EXPECT_THAT(ErrorOf("[1\n 2]"), StartsWith("t.json:2: malformed JSON: "));
}

TEST(JsonTest, TrailingCommaIsRejected) {
  EXPECT_THAT(ErrorOf("{\"a\": 1,\n}"), StartsWith("t.json:2: malformed JSON: "));
}

TEST(JsonTest, EmptyInputIsRejected) {
  EXPECT_THAT(ErrorOf(""), StartsWith("t.json:1: malformed JSON: "));
  EXPECT_THAT(ErrorOf("  \n  "), HasSubstr("malformed JSON"));
}

TEST(JsonTest, TrailingGarbageIsRejected) {
  EXPECT_THAT(ErrorOf("{}\n\n]"), StartsWith("t.json:3: malformed JSON: "));
}

TEST(JsonTest, UnterminatedStringNamesItsLine) {
  EXPECT_THAT(ErrorOf("{\n\"a\": \"abc\n\"}"), StartsWith("t.json:2: malformed JSON: "));
}

TEST(JsonTest, CommentsAreRejected) {
  EXPECT_THAT(ErrorOf("// c\n{}"), HasSubstr("malformed JSON"));
}

TEST(JsonTest, InvalidUtf8IsRejectedAndEscapedInMessage) {
  std::string e = ErrorOf("[\"\xFF\"]");
  EXPECT_THAT(e, HasSubstr("malformed JSON"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("\xFF")));
}

TEST(JsonTest, NumberOverflowIsRejected) {
  EXPECT_THAT(ErrorOf("[\n1e400]"), StartsWith("t.json:2: malformed JSON: "));
}

TEST(JsonTest, DepthLimit) {
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(ok, "t.json").ok());
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_THAT(ErrorOf(deep), HasSubstr("nesting deeper than 64 levels"));
  // Very deep input fails fast instead of exhausting the stack.
  EXPECT_THAT(ErrorOf(std::string(100000, '[')), HasSubstr("nesting deeper"));
  EXPECT_THAT(ErrorOf(std::string(100000, '{')), HasSubstr("malformed JSON"));
}

TEST(JsonTest, DepthErrorNamesPath) {
  // The dict is depth 1, so the 64th "[" would be depth 65.
  std::string text = "{\"a\": " + std::string(kMaxJsonDepth, '[');
  std::string path = "a";
  for (int i = 0; i < kMaxJsonDepth - 1; ++i) path += "[0]";
  EXPECT_EQ(ErrorOf(text), absl::StrCat("t.json:1: ", path, ": nesting deeper than 64 levels"));
}

TEST(JsonTest, ReadJsonFile) {
  std::string path = ::testing::TempDir() + "/json_test_read.json";
  {
    std::ofstream out(path);
    out << "{\n  \"k\": [1, 2]\n}\n";
  }
  absl::StatusOr<Value> v = ReadJsonFile(path);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("k")->location().file, path);
  EXPECT_EQ(v->Find("k")->location().line, 2);
  absl::StatusOr<Value> missing = ReadJsonFile(::testing::TempDir() + "/no/such/file.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loadsim
