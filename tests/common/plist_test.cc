#include "common/plist.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;

std::string Wrap(const std::string& body) {
  return "<?xml version=\"1.0\"?>\n<plist version=\"1.0\">\n" + body + "\n</plist>\n";
}

TEST(PlistTest, ParsesEveryTypeWithLines) {
  std::string text = Wrap(
      "<dict>\n"                                       // line 3
      "  <key>s</key><string>hello &amp; bye</string>\n"  // 4
      "  <key>i</key><integer> -42 </integer>\n"        // 5
      "  <key>r</key><real>1.5e3</real>\n"              // 6
      "  <key>t</key><true/>\n"                         // 7
      "  <key>f</key><false />\n"                       // 8
      "  <key>d</key><date>2013-10-21T12:30:00Z</date>\n"  // 9
      "  <key>b</key><data>SGVs\n bG8=</data>\n"        // 10-11
      "  <key>a</key>\n"                                // 12
      "  <array>\n"                                     // 13
      "    <integer>1</integer>\n"                      // 14
      "    <dict/>\n"                                   // 15
      "  </array>\n"
      "</dict>");
  absl::StatusOr<Value> v = ParsePlist(text, "x.plist");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is(Value::Type::kDict));
  EXPECT_EQ(v->location().line, 3);
  EXPECT_EQ(v->location().file, "x.plist");
  EXPECT_EQ(v->keys(), (std::vector<std::string>{"s", "i", "r", "t", "f", "d", "b", "a"}));
  EXPECT_EQ(v->Find("s")->string_value(), "hello & bye");
  EXPECT_EQ(v->Find("s")->location().line, 4);
  EXPECT_EQ(v->Find("i")->integer_value(), -42);
  EXPECT_EQ(v->Find("i")->location().line, 5);
  EXPECT_DOUBLE_EQ(v->Find("r")->real_value(), 1500);
  EXPECT_TRUE(v->Find("t")->bool_value());
  EXPECT_FALSE(v->Find("f")->bool_value());
  EXPECT_TRUE(v->Find("f")->is(Value::Type::kBool));
  EXPECT_EQ(v->Find("d")->string_value(), "2013-10-21T12:30:00Z");
  EXPECT_TRUE(v->Find("d")->is(Value::Type::kDate));
  EXPECT_EQ(v->Find("b")->string_value(), "Hello");
  const Value* a = v->Find("a");
  ASSERT_TRUE(a->is(Value::Type::kArray));
  EXPECT_EQ(a->location().line, 13);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ(a->items()[0].location().line, 14);
  EXPECT_TRUE(a->items()[1].is(Value::Type::kDict));
  EXPECT_EQ(a->items()[1].location().line, 15);
}

TEST(PlistTest, CommentsDoctypeAndBareRootAreAccepted) {
  absl::StatusOr<Value> v = ParsePlist(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<!-- c -->\n<plist><!-- c -->"
      "<dict><!-- c --><key>k</key><!-- c --><string>v</string></dict></plist>",
      "c.plist");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("k")->string_value(), "v");
  absl::StatusOr<Value> bare = ParsePlist("<array><string>x</string></array>", "b.plist");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->size(), 1u);
}

struct Rejection {
  const char* name;
  const char* body;
  const char* expected;  // substring of the message, which must start with file:line
};

class PlistRejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(PlistRejectionTest, NamesFileLineAndKey) {
  absl::StatusOr<Value> v = ParsePlist(Wrap(GetParam().body), "bad.plist");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, PlistRejectionTest,
    ::testing::Values(
        Rejection{"Malformed", "<dict>\n<key>a</key>\n<string>x</dict>",
                  "bad.plist:5: malformed XML"},
        Rejection{"DuplicateKey",
                  "<dict>\n<key>a</key><integer>1</integer>\n<key>a</key><integer>2</integer>\n"
                  "</dict>",
                  "bad.plist:5: a: duplicate key (first defined at line 4)"},
        Rejection{"BadInteger",
                  "<dict>\n<key>outer</key>\n<dict>\n<key>n</key><integer>12x</integer>\n"
                  "</dict>\n</dict>",
                  "bad.plist:6: outer.n: <integer> '12x' is not an integer"},
        Rejection{"BadReal", "<array>\n<real>abc</real>\n</array>",
                  "bad.plist:4: [0]: <real> 'abc' is not a finite number"},
        Rejection{"InfiniteReal", "<array>\n<real>inf</real>\n</array>",
                  "bad.plist:4: [0]: <real> 'inf' is not a finite number"},
        Rejection{"BadDate", "<dict>\n<key>when</key><date>yesterday</date>\n</dict>",
                  "bad.plist:4: when: <date> 'yesterday' is not an ISO 8601 UTC date"},
        Rejection{"BadData", "<dict>\n<key>blob</key><data>!!!</data>\n</dict>",
                  "bad.plist:4: blob: <data> is not valid base64"},
        Rejection{"KeyWithoutValue", "<dict>\n<key>lonely</key>\n</dict>",
                  "bad.plist:4: lonely: key has no value"},
        Rejection{"TwoKeys", "<dict>\n<key>a</key>\n<key>b</key><string/>\n</dict>",
                  "bad.plist:4: a: key has no value"},
        Rejection{"ValueWithoutKey", "<dict>\n<string>x</string>\n</dict>",
                  "bad.plist:4: expected <key> in <dict>, found <string>"},
        Rejection{"UnknownElement", "<dict>\n<key>a</key><number>1</number>\n</dict>",
                  "bad.plist:4: a: unknown plist element <number>"},
        Rejection{"TrueWithText", "<array>\n<true>yes</true>\n</array>",
                  "bad.plist:4: [0]: <true/> must be empty"},
        Rejection{"ElementInString", "<array>\n<string>a<b/></string>\n</array>",
                  "bad.plist:4: [0]: <string> may not contain <b>"},
        Rejection{"TextInDict", "<dict>\nstray\n<key>a</key><true/>\n</dict>",
                  "bad.plist:3: text between dict entries"},
        Rejection{"TwoRoots", "<string>a</string>\n<string>b</string>",
                  "bad.plist:4: <plist> holds more than one value"}),
    [](const ::testing::TestParamInfo<Rejection>& info) { return info.param.name; });

TEST(PlistTest, DeepNestingIsRejectedNotCrashed) {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "<array>";
  for (int i = 0; i < 200; ++i) body += "</array>";
  absl::StatusOr<Value> v = ParsePlist(Wrap(body), "deep.plist");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("nesting deeper than 64 levels"));
}

TEST(PlistTest, MissingFileIsNotFoundNamingThePath) {
  absl::StatusOr<Value> v = ReadPlistFile("/nonexistent/dir/config.plist");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("/nonexistent/dir/config.plist"));
}

}  // namespace
}  // namespace loadsim
