#include "common/accounts.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/testing_util.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using testing_util::DiagnosticMessages;
using testing_util::TestTempDir;
using testing_util::WriteTestFile;

std::vector<std::string> Uids(const std::vector<v1::Account>& accounts) {
  std::vector<std::string> out;
  for (const v1::Account& a : accounts) out.push_back(a.uid());
  return out;
}

std::vector<v1::Account> MustParseCsv(absl::string_view text, bool interleave = false) {
  absl::StatusOr<std::vector<v1::Account>> a = ParseAccountsCsv(text, "a.csv", interleave);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : std::vector<v1::Account>();
}

std::string CsvError(absl::string_view text) {
  absl::StatusOr<std::vector<v1::Account>> a = ParseAccountsCsv(text, "a.csv", false);
  EXPECT_FALSE(a.ok());
  return a.ok() ? "" : std::string(a.status().message());
}

// ---------------------------------------------------------------------------------------------
// CSV parsing.

TEST(ParseAccountsCsvTest, FourColumnsInFileOrder) {
  std::vector<v1::Account> a = MustParseCsv(
      "user02,pw2,User 02,user02@example.com\n"
      "user01,pw1,User 01,user01@example.com\n");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].uid(), "user02");
  EXPECT_EQ(a[0].password(), "pw2");
  EXPECT_EQ(a[0].common_name(), "User 02");
  EXPECT_EQ(a[0].email(), "user02@example.com");
  EXPECT_EQ(a[0].guid(), "");
  EXPECT_EQ(a[0].pod(), "");
  EXPECT_EQ(a[1].uid(), "user01");
}

TEST(ParseAccountsCsvTest, SixColumnsWithGuidAndPod) {
  std::vector<v1::Account> a = MustParseCsv(
      "user01,user01,User 01,user01@example.com,10000000-0000-0000-0000-000000000001,PodA\n");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].guid(), "10000000-0000-0000-0000-000000000001");
  EXPECT_EQ(a[0].pod(), "PodA");
}

TEST(ParseAccountsCsvTest, NoFinalNewline) {
  EXPECT_THAT(Uids(MustParseCsv("a,b,c,d\ne,f,g,h")), ElementsAre("a", "e"));
}

TEST(ParseAccountsCsvTest, EmptyFieldsAreKept) {
  std::vector<v1::Account> a = MustParseCsv("a,,,\n");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].password(), "");
  EXPECT_EQ(a[0].email(), "");
}

TEST(ParseAccountsCsvTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  std::vector<v1::Account> a = MustParseCsv(
      "\"u,1\",\"p\"\"w\",\"Smith, \"\"Jo\"\"\",\"x@example.com\"\n"
      "u2,pw,\"two\nlines\",u2@example.com\n"
      "u3,\"\",\"\"\"\",\"\"\n");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].uid(), "u,1");
  EXPECT_EQ(a[0].password(), "p\"w");
  EXPECT_EQ(a[0].common_name(), "Smith, \"Jo\"");
  EXPECT_EQ(a[0].email(), "x@example.com");
  EXPECT_EQ(a[1].common_name(), "two\nlines");
  EXPECT_EQ(a[2].password(), "");
  EXPECT_EQ(a[2].common_name(), "\"");
  EXPECT_EQ(a[2].email(), "");
}

TEST(ParseAccountsCsvTest, QuoteInsideUnquotedFieldIsLiteral) {
  std::vector<v1::Account> a = MustParseCsv("u1,pa\"ss,a\"b\"c,e\n");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].password(), "pa\"ss");
  EXPECT_EQ(a[0].common_name(), "a\"b\"c");
}

TEST(ParseAccountsCsvTest, LineNumbersCountQuotedNewlines) {
  EXPECT_EQ(CsvError("u1,p,\"multi\nline\nname\",e\nu1,p,n,e\n"),
            "a.csv:4: duplicate uid 'u1' (first defined at line 1)");
}

TEST(ParseAccountsCsvTest, CrLfLineEnds) {
  std::vector<v1::Account> a =
      MustParseCsv("u1,p,n,e1\r\nu2,p,\"q\r\nx\",e2\r\n\r\nu3,p,n,\"e3\"\r\n");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].email(), "e1");
  EXPECT_EQ(a[1].common_name(), "q\r\nx");  // inside quotes, kept as written
  EXPECT_EQ(a[1].email(), "e2");
  EXPECT_EQ(a[2].email(), "e3");
  EXPECT_EQ(CsvError("u1,p,n,e\r\n\r\nu1,p,n,e\r\n"),
            "a.csv:3: duplicate uid 'u1' (first defined at line 1)");
}

TEST(ParseAccountsCsvTest, CrAtEndOfFile) {
  std::vector<v1::Account> a = MustParseCsv("u1,p,n,e\r");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].email(), "e");
  a = MustParseCsv("u1,p,n,\"e\"\r");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].email(), "e");
}

TEST(ParseAccountsCsvTest, ByteOrderMarkIsSkipped) {
  std::vector<v1::Account> a = MustParseCsv("\xEF\xBB\xBFu1,p,n,e\n");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].uid(), "u1");
  // A BOM before a header still lets the header be recognised.
  EXPECT_THAT(Uids(MustParseCsv("\xEF\xBB\xBFuid,password,commonName,email\nu1,p,n,e\n")),
              ElementsAre("u1"));
}

TEST(ParseAccountsCsvTest, BlankLinesAreSkipped) {
  EXPECT_THAT(Uids(MustParseCsv("\n\nu1,p,n,e\n\n   \n\t\nu2,p,n,e\n\n\n")),
              ElementsAre("u1", "u2"));
  EXPECT_EQ(CsvError("\n\nu1,p,n,e\n\nu1,p,n,e\n"),
            "a.csv:5: duplicate uid 'u1' (first defined at line 3)");
}

TEST(ParseAccountsCsvTest, HeaderLineIsSkipped) {
  EXPECT_THAT(Uids(MustParseCsv("uid,password,commonName,email\nu1,p,n,e\n")), ElementsAre("u1"));
  EXPECT_THAT(Uids(MustParseCsv("UID,Password,Name,Mail\nu1,p,n,e\n")), ElementsAre("u1"));
  EXPECT_THAT(Uids(MustParseCsv("\nuid,password,commonName,email,guid,podID\nu1,p,n,e,g,PodA\n")),
              ElementsAre("u1"));
  EXPECT_THAT(Uids(MustParseCsv("uid,password,commonname,email,GUID,pod\nu1,p,n,e,g,P\n")),
              ElementsAre("u1"));
  // Only the first record can be a header.
  EXPECT_THAT(Uids(MustParseCsv("u1,p,n,e\nuid,p,n,e\n")), ElementsAre("u1", "uid"));
}

TEST(ParseAccountsCsvTest, HeaderInAnotherOrderIsRejected) {
  EXPECT_EQ(CsvError("\nuid,commonName,password,email\nu1,p,n,e\n"),
            "a.csv:2: header column 'commonName' is column 2 but columns are read by position: "
            "uid,password,commonName,email[,guid,podID]");
}

TEST(ParseAccountsCsvTest, HeaderMustHaveTheDataColumnCount) {
  EXPECT_EQ(CsvError("uid,password,commonName,email\nu1,p,n,e,g,P\n"),
            "a.csv:2: has 6 fields but line 1 has 4; every line needs the same columns");
}

TEST(ParseAccountsCsvTest, MailtoIsStripped) {
  std::vector<v1::Account> a = MustParseCsv("u1,p,n,mailto:u1@example.com\nu2,p,n,MAILTO:u2@x\n");
  EXPECT_EQ(a[0].email(), "u1@example.com");
  EXPECT_EQ(a[1].email(), "u2@x");
}

TEST(ParseAccountsCsvTest, Utf8FieldsAreKept) {
  std::vector<v1::Account> a = MustParseCsv("u1,p,J\xC3\xBCrgen \xE6\x97\xA5,e\n");
  EXPECT_EQ(a[0].common_name(), "J\xC3\xBCrgen \xE6\x97\xA5");
}

TEST(ParseAccountsCsvTest, RejectsWrongColumnCountOnFirstLine) {
  EXPECT_EQ(CsvError("\nu1,p,n,e,g\n"),
            "a.csv:2: has 5 fields; expected 4 (uid,password,commonName,email) or 6 "
            "(uid,password,commonName,email,guid,podID)");
  EXPECT_THAT(CsvError("u1,p,n\n"), HasSubstr("a.csv:1: has 3 fields; expected 4"));
}

TEST(ParseAccountsCsvTest, RejectsLineWithDifferentColumnCount) {
  EXPECT_EQ(CsvError("u1,p,n,e\nu2,p,n,e\nu3,p,n,e,g,P\n"),
            "a.csv:3: has 6 fields but line 1 has 4; every line needs the same columns");
  EXPECT_EQ(CsvError("u1,p,n,e,g,P\nu2,p,n,e\n"),
            "a.csv:2: has 4 fields but line 1 has 6; every line needs the same columns");
}

TEST(ParseAccountsCsvTest, RejectsEmptyUid) {
  EXPECT_EQ(CsvError("u1,p,n,e\n,p,n,e\n"), "a.csv:2: uid (field 1) is empty");
  EXPECT_EQ(CsvError("\"\",p,n,e\n"), "a.csv:1: uid (field 1) is empty");
}

TEST(ParseAccountsCsvTest, RejectsControlCharacterInUid) {
  EXPECT_EQ(CsvError("\"u\n1\",p,n,e\n"), "a.csv:1: uid (field 1) contains a control character");
}

TEST(ParseAccountsCsvTest, RejectsDuplicateUid) {
  EXPECT_EQ(CsvError("a,p,n,e\nb,p,n,e\nc,p,n,e\na,q,m,f\n"),
            "a.csv:4: duplicate uid 'a' (first defined at line 1)");
  // Quoted uids, with and without doubled quotes, compare by their value.
  EXPECT_EQ(CsvError("\"a\"\"b\",p,n,e\nx,p,n,e\n\"a\"\"b\",p,n,e\n"),
            "a.csv:3: duplicate uid 'a\"b' (first defined at line 1)");
  EXPECT_EQ(CsvError("\"ab\",p,n,e\nab,p,n,e\n"),
            "a.csv:2: duplicate uid 'ab' (first defined at line 1)");
}

TEST(ParseAccountsCsvTest, RejectsZeroRecords) {
  EXPECT_EQ(CsvError(""), "a.csv: holds no account records");
  EXPECT_EQ(CsvError("\n\r\n  \n"), "a.csv: holds no account records");
  EXPECT_EQ(CsvError("\xEF\xBB\xBF"), "a.csv: holds no account records");
  EXPECT_EQ(CsvError("uid,password,commonName,email\n"), "a.csv: holds no account records");
}

TEST(ParseAccountsCsvTest, RejectsUnclosedQuote) {
  EXPECT_EQ(CsvError("u1,p,n,e\nu2,\"p,n,e\nu3,p,n,e\n"),
            "a.csv:2: quoted field 2 is not closed before the end of the file");
}

TEST(ParseAccountsCsvTest, RejectsTextAfterClosingQuote) {
  EXPECT_EQ(CsvError("u1,p,n,e\nu2,\"p\"x,n,e\n"),
            "a.csv:2: unexpected character after the closing quote of field 2 (a quote inside "
            "a quoted field must be doubled)");
}

TEST(ParseAccountsCsvTest, RejectsInvalidUtf8) {
  EXPECT_EQ(CsvError("u1,p,n,e\nu2,p,\xC3(,e\n"), "a.csv:2: field 3 is not valid UTF-8");
  EXPECT_EQ(CsvError("u1,\xED\xA0\x80,n,e\n"), "a.csv:1: field 2 is not valid UTF-8");  // surrogate
  EXPECT_EQ(CsvError("u1,\xC0\x80,n,e\n"), "a.csv:1: field 2 is not valid UTF-8");      // overlong
}

TEST(ParseAccountsCsvTest, InterleavesPodsRoundRobin) {
  std::vector<v1::Account> a = MustParseCsv(
      "a1,p,n,e,g,A\n"
      "a2,p,n,e,g,A\n"
      "b1,p,n,e,g,B\n"
      "a3,p,n,e,g,A\n"
      "c1,p,n,e,g,C\n"
      "b2,p,n,e,g,B\n",
      /*interleave=*/true);
  EXPECT_THAT(Uids(a), ElementsAre("a1", "b1", "c1", "a2", "b2", "a3"));
  EXPECT_EQ(a[1].pod(), "B");
}

TEST(ParseAccountsCsvTest, InterleaveKeepsOrderWithoutPods) {
  EXPECT_THAT(Uids(MustParseCsv("x,p,n,e\na,p,n,e\n", /*interleave=*/true)), ElementsAre("x", "a"));
}

TEST(ParseAccountsCsvTest, WithoutInterleaveKeepsFileOrder) {
  EXPECT_THAT(Uids(MustParseCsv("a1,p,n,e,g,A\nb1,p,n,e,g,B\na2,p,n,e,g,A\n")),
              ElementsAre("a1", "b1", "a2"));
}

// ---------------------------------------------------------------------------------------------
// recordsFromCSVFile through LoadAccounts.

// Parses a JSON params dict written to `dir`/config.json so its values carry that file.
Value Params(const std::string& dir, absl::string_view json) {
  std::string path = WriteTestFile(dir + "/config.json", json);
  absl::StatusOr<Value> v = ReadJsonFile(path);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Value();
}

TEST(LoadAccountsCsvTest, ResolvesPathRelativeToConfigFile) {
  std::string dir = TestTempDir();
  std::filesystem::create_directories(dir + "/data");
  WriteTestFile(dir + "/data/users.csv", "u1,p,n,e\nu2,p,n,e\n");
  Value params = Params(dir, "{\n\"path\": \"data/../data/users.csv\"\n}");
  Location where{dir + "/config.json", 7};
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded =
      LoadAccounts("recordsFromCSVFile", &params, where, "accounts.params", &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  EXPECT_THAT(Uids(loaded->accounts), ElementsAre("u1", "u2"));
  EXPECT_EQ(loaded->spec.loader(), "recordsFromCSVFile");
  EXPECT_EQ(loaded->spec.path(),
            std::filesystem::absolute(dir + "/data/users.csv").lexically_normal().string());
  EXPECT_TRUE(std::filesystem::path(loaded->spec.path()).is_absolute());
  EXPECT_EQ(loaded->spec.count(), 2);
  EXPECT_EQ(loaded->spec.origin().file(), where.file);
  EXPECT_EQ(loaded->spec.origin().line(), 7);
}

TEST(LoadAccountsCsvTest, InterleavePods) {
  std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.csv", "a1,p,n,e,g,A\na2,p,n,e,g,A\nb1,p,n,e,g,B\n");
  Value params = Params(dir, R"({"path": "a.csv", "interleavePods": true})");
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded =
      LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  EXPECT_THAT(Uids(loaded->accounts), ElementsAre("a1", "b1", "a2"));
}

TEST(LoadAccountsCsvTest, InterleaveWithoutPodsWarns) {
  std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.csv", "a1,p,n,e\n");
  Value params = Params(dir, "{\"path\": \"a.csv\",\n \"interleavePods\": true}");
  Diagnostics diags;
  ASSERT_TRUE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                  .has_value());
  EXPECT_THAT(
      DiagnosticMessages(diags),
      ElementsAre(HasSubstr(absl::StrCat(dir,
                                         "/config.json:2: warning: accounts.params.interleavePods: "
                                         "has no effect"))));
}

TEST(LoadAccountsCsvTest, RejectsNonBooleanInterleave) {
  std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.csv", "a1,p,n,e\n");
  Value params = Params(dir, "{\"path\": \"a.csv\",\n \"interleavePods\": \"yes\"}");
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(dir,
                                       "/config.json:2: accounts.params.interleavePods: "
                                       "must be a boolean (found string)")));
}

TEST(LoadAccountsCsvTest, CsvErrorsNameTheCsvFileAndLine) {
  std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.csv", "a1,p,n,e\na2,p,n\n");
  Value params = Params(dir, R"({"path": "a.csv"})");
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(
                  std::filesystem::absolute(dir + "/a.csv").lexically_normal().string(),
                  ":2: has 3 fields but line 1 has 4; every line needs the same "
                  "columns")));
}

TEST(LoadAccountsCsvTest, RejectsMissingPath) {
  std::string dir = TestTempDir();
  Value params = Params(dir, "\n{}");
  Diagnostics diags;
  EXPECT_FALSE(
      LoadAccounts("recordsFromCSVFile", &params, Location{"c.plist", 9}, "accounts.params", &diags)
          .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(dir,
                                       "/config.json:2: accounts.params.path: required "
                                       "parameter is missing: loadsim has no default "
                                       "accounts.csv beside sim.py; name the CSV file "
                                       "explicitly")));
  // No params dict at all: the accounts dict's location is used.
  Diagnostics diags2;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", nullptr, Location{"c.plist", 9},
                            "accounts.params", &diags2)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags2),
              ElementsAre(HasSubstr("c.plist:9: accounts.params.path: required parameter")));
}

TEST(LoadAccountsCsvTest, RejectsEmptyPath) {
  std::string dir = TestTempDir();
  Value params = Params(dir, "{\n\n\"path\": \"\"}");
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(dir,
                                       "/config.json:3: accounts.params.path: is empty: "
                                       "loadsim has no default accounts.csv beside sim.py; "
                                       "name the CSV file explicitly")));
}

TEST(LoadAccountsCsvTest, RejectsNonStringPath) {
  std::string dir = TestTempDir();
  Value params = Params(dir, "{\"path\":\n 3}");
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags), ElementsAre(absl::StrCat(dir,
                                                                  "/config.json:2: accounts.params."
                                                                  "path: must be a string (found "
                                                                  "integer)")));
}

TEST(LoadAccountsCsvTest, RejectsUnreadableFile) {
  std::string dir = TestTempDir();
  Value params = Params(dir, "{\n\"path\": \"missing.csv\"}");
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(::testing::AllOf(
                  HasSubstr(absl::StrCat(dir,
                                         "/config.json:2: accounts.params.path: cannot read "
                                         "the accounts CSV file: ")),
                  HasSubstr("missing.csv"))));
}

TEST(LoadAccountsCsvTest, UnknownParamIsWarning) {
  std::string dir = TestTempDir();
  WriteTestFile(dir + "/a.csv", "a1,p,n,e\n");
  Value params = Params(dir, "{\"path\": \"a.csv\",\n \"pth\": 1}");
  Diagnostics diags;
  ASSERT_TRUE(LoadAccounts("recordsFromCSVFile", &params, Location{}, "accounts.params", &diags)
                  .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(absl::StrCat(dir,
                                       "/config.json:2: warning: accounts.params.pth: "
                                       "unknown parameter of recordsFromCSVFile ignored "
                                       "(known: path, interleavePods)")));
}

TEST(LoadAccountsTest, RejectsParamsThatAreNotADict) {
  Value params = Value::Array(Location{"c.plist", 4});
  Diagnostics diags;
  EXPECT_FALSE(
      LoadAccounts("generateRecords", &params, Location{"c.plist", 3}, "accounts.params", &diags)
          .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("c.plist:4: accounts.params: must be a dict of loader "
                          "parameters (found array)"));
}

TEST(LoadAccountsTest, RejectsUnknownLoader) {
  Diagnostics diags;
  EXPECT_FALSE(LoadAccounts("fromLdap", nullptr, Location{"c.plist", 3}, "accounts.params", &diags)
                   .has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre(HasSubstr("c.plist:3: accounts.params: unknown account "
                                    "loader 'fromLdap'")));
}

// ---------------------------------------------------------------------------------------------
// generateRecords and recordsFromCount.

std::optional<LoadedAccounts> Load(absl::string_view loader, absl::string_view json,
                                   Diagnostics* diags) {
  absl::StatusOr<Value> params = ParseJson(json, "c.json");
  EXPECT_TRUE(params.ok()) << params.status();
  return LoadAccounts(loader, &*params, Location{"c.json", 1}, "accounts.params", diags);
}

std::vector<std::string> Errors(absl::string_view loader, absl::string_view json) {
  Diagnostics diags;
  EXPECT_FALSE(Load(loader, json, &diags).has_value());
  return DiagnosticMessages(diags);
}

TEST(GenerateRecordsTest, Defaults) {
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded = Load("generateRecords", R"({"count": 3})", &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  EXPECT_THAT(DiagnosticMessages(diags), IsEmpty());
  ASSERT_EQ(loaded->accounts.size(), 3u);
  const v1::Account& a = loaded->accounts[2];
  EXPECT_EQ(a.uid(), "user3");
  EXPECT_EQ(a.password(), "user3");
  EXPECT_EQ(a.common_name(), "User 3");
  EXPECT_EQ(a.email(), "user3@example.com");
  EXPECT_EQ(a.guid(), "");
  EXPECT_EQ(a.pod(), "");
  EXPECT_EQ(loaded->accounts[0].uid(), "user1");
  EXPECT_EQ(loaded->spec.loader(), "generateRecords");
  EXPECT_EQ(loaded->spec.count(), 3);
  EXPECT_EQ(loaded->spec.uid_pattern(), "user%d");
  EXPECT_EQ(loaded->spec.password_pattern(), "user%d");
  EXPECT_EQ(loaded->spec.name_pattern(), "User %d");
  EXPECT_EQ(loaded->spec.email_pattern(), "user%d@example.com");
  EXPECT_EQ(loaded->spec.guid_pattern(), "");
  EXPECT_EQ(loaded->spec.path(), "");
  EXPECT_EQ(loaded->spec.origin().file(), "c.json");
}

TEST(GenerateRecordsTest, CustomPatternsGuidAndPod) {
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded = Load("generateRecords", R"({"count": 12,
      "uidPattern": "u%05d", "passwordPattern": "%x-%%", "namePattern": "N %X",
      "emailPattern": "mailto:%o@x", "guidPattern": "10000000-0000-0000-0000-%012i",
      "podPattern": "PodA"})",
                                              &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  const v1::Account& a = loaded->accounts[11];
  EXPECT_EQ(a.uid(), "u00012");
  EXPECT_EQ(a.password(), "c-%");
  EXPECT_EQ(a.common_name(), "N C");
  EXPECT_EQ(a.email(), "14@x");
  EXPECT_EQ(a.guid(), "10000000-0000-0000-0000-000000000012");
  EXPECT_EQ(a.pod(), "PodA");
  EXPECT_EQ(loaded->spec.guid_pattern(), "10000000-0000-0000-0000-%012i");
  EXPECT_EQ(loaded->spec.pod_pattern(), "PodA");
}

TEST(GenerateRecordsTest, RejectsMissingCount) {
  EXPECT_THAT(Errors("generateRecords", "\n{}"),
              ElementsAre("c.json:2: accounts.params.count: required parameter is missing "
                          "(number of records)"));
}

TEST(GenerateRecordsTest, RejectsCountOutOfRange) {
  EXPECT_THAT(Errors("generateRecords", "{\n\"count\": 0}"),
              ElementsAre("c.json:2: accounts.params.count: must be an integer from 1 to "
                          "100000000 (found 0)"));
  EXPECT_THAT(Errors("generateRecords", "{\"count\": -5}"), ElementsAre(HasSubstr("(found -5)")));
  EXPECT_THAT(Errors("generateRecords", "{\"count\": 100000001}"),
              ElementsAre(HasSubstr("(found 100000001)")));
}

TEST(GenerateRecordsTest, RejectsNonIntegerCount) {
  EXPECT_THAT(Errors("generateRecords", "{\n\n\"count\": 2.0}"),
              ElementsAre("c.json:3: accounts.params.count: must be an integer from 1 to "
                          "100000000 (found real)"));
  EXPECT_THAT(Errors("generateRecords", "{\"count\": \"10\"}"),
              ElementsAre(HasSubstr("(found string)")));
}

TEST(GenerateRecordsTest, RejectsUnsupportedConversion) {
  EXPECT_THAT(Errors("generateRecords", "{\"count\": 1,\n \"uidPattern\": \"user%s\"}"),
              ElementsAre("c.json:2: accounts.params.uidPattern: pattern \"user%s\" has the "
                          "unsupported conversion \"%s\" (only %d, %i, %x, %X and %o, with an "
                          "optional 0 flag and width, are supported; write %% for a percent "
                          "sign)"));
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "namePattern": "%-5d"})"),
              ElementsAre(HasSubstr("accounts.params.namePattern: pattern \"%-5d\" has the "
                                    "unsupported conversion \"%-\"")));
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "namePattern": "%(n)d"})"),
              ElementsAre(HasSubstr("unsupported conversion \"%(\"")));
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "namePattern": "%.3d"})"),
              ElementsAre(HasSubstr("unsupported conversion \"%.\"")));
}

TEST(GenerateRecordsTest, RejectsTwoConversions) {
  EXPECT_THAT(Errors("generateRecords", "{\"count\": 1,\n\"emailPattern\": \"u%d@%d\"}"),
              ElementsAre("c.json:2: accounts.params.emailPattern: pattern \"u%d@%d\" has more "
                          "than one conversion; exactly one integer conversion is allowed"));
}

TEST(GenerateRecordsTest, RejectsNoConversion) {
  EXPECT_THAT(Errors("generateRecords", "{\"count\": 1,\n\"passwordPattern\": \"secret%%\"}"),
              ElementsAre("c.json:2: accounts.params.passwordPattern: pattern \"secret%%\" has "
                          "no integer conversion; exactly one of %d, %i, %x, %X or %o is "
                          "required"));
  // guidPattern needs one too; only podPattern may be constant.
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "guidPattern": "G"})"),
              ElementsAre(HasSubstr("accounts.params.guidPattern: pattern \"G\" has no integer "
                                    "conversion")));
}

TEST(GenerateRecordsTest, RejectsTrailingPercent) {
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "uidPattern": "u%d%"})"),
              ElementsAre(HasSubstr("accounts.params.uidPattern: pattern \"u%d%\" ends inside a "
                                    "% conversion")));
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "uidPattern": "u%05"})"),
              ElementsAre(HasSubstr("ends inside a % conversion")));
}

TEST(GenerateRecordsTest, RejectsHugeWidth) {
  EXPECT_THAT(Errors("generateRecords", R"({"count": 1, "uidPattern": "u%0999999999d"})"),
              ElementsAre(HasSubstr("accounts.params.uidPattern: pattern \"u%0999999999d\" has a "
                                    "field width above 64")));
}

TEST(GenerateRecordsTest, RejectsNonStringPattern) {
  EXPECT_THAT(Errors("generateRecords", "{\"count\": 1,\n\"uidPattern\": 5}"),
              ElementsAre("c.json:2: accounts.params.uidPattern: must be a string (found "
                          "integer)"));
}

TEST(GenerateRecordsTest, ReportsEveryBadParameter) {
  EXPECT_THAT(Errors("generateRecords",
                     "{\"count\": 0,\n\"uidPattern\": \"%s\",\n\"namePattern\": \"%d%d\"}"),
              ElementsAre(HasSubstr("c.json:1: accounts.params.count"),
                          HasSubstr("c.json:2: accounts.params.uidPattern"),
                          HasSubstr("c.json:3: accounts.params.namePattern")));
}

TEST(GenerateRecordsTest, UnknownParamIsWarning) {
  Diagnostics diags;
  ASSERT_TRUE(Load("generateRecords", "{\"count\": 1,\n\"uid\": \"x%d\"}", &diags).has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("c.json:2: warning: accounts.params.uid: unknown parameter of "
                          "generateRecords ignored (known: count, uidPattern, passwordPattern, "
                          "namePattern, emailPattern, guidPattern, podPattern)"));
}

TEST(RecordsFromCountTest, Defaults) {
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded = Load("recordsFromCount", R"({"count": 100})", &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  ASSERT_EQ(loaded->accounts.size(), 100u);
  EXPECT_EQ(loaded->accounts[0].uid(), "user01");
  EXPECT_EQ(loaded->accounts[0].password(), "user01");
  EXPECT_EQ(loaded->accounts[0].common_name(), "User 01");
  EXPECT_EQ(loaded->accounts[0].email(), "user01@example.com");
  EXPECT_EQ(loaded->accounts[99].uid(), "user100");
  EXPECT_EQ(loaded->spec.loader(), "recordsFromCount");
  EXPECT_EQ(loaded->spec.uid_pattern(), "user%02d");
  EXPECT_EQ(loaded->spec.name_pattern(), "User %02d");
  EXPECT_EQ(loaded->spec.count(), 100);
}

TEST(RecordsFromCountTest, CustomKeys) {
  Diagnostics diags;
  std::optional<LoadedAccounts> loaded = Load(
      "recordsFromCount",
      R"({"count": 2, "uid": "a%3d", "password": "p%d", "commonName": "C%d", "email": "%d@e"})",
      &diags);
  ASSERT_TRUE(loaded.has_value()) << diags.ToStatus();
  EXPECT_EQ(loaded->accounts[1].uid(), "a  2");
  EXPECT_EQ(loaded->accounts[1].password(), "p2");
  EXPECT_EQ(loaded->accounts[1].common_name(), "C2");
  EXPECT_EQ(loaded->accounts[1].email(), "2@e");
  EXPECT_EQ(loaded->spec.email_pattern(), "%d@e");
}

TEST(RecordsFromCountTest, RejectsBadPatternNamingKey) {
  EXPECT_THAT(Errors("recordsFromCount", "{\"count\": 2,\n \"commonName\": \"User %r\"}"),
              ElementsAre(HasSubstr("c.json:2: accounts.params.commonName: pattern \"User %r\" "
                                    "has the unsupported conversion \"%r\"")));
}

TEST(RecordsFromCountTest, RejectsMissingCount) {
  EXPECT_THAT(Errors("recordsFromCount", "{}"),
              ElementsAre("c.json:1: accounts.params.count: required parameter is missing "
                          "(number of records)"));
}

TEST(RecordsFromCountTest, UnknownParamIsWarning) {
  Diagnostics diags;
  ASSERT_TRUE(
      Load("recordsFromCount", "{\"count\": 1,\n\"uidPattern\": \"x%d\"}", &diags).has_value());
  EXPECT_THAT(DiagnosticMessages(diags),
              ElementsAre("c.json:2: warning: accounts.params.uidPattern: unknown parameter of "
                          "recordsFromCount ignored (known: count, uid, password, commonName, "
                          "email)"));
}

// ---------------------------------------------------------------------------------------------
// IntPattern and InterleavePods directly.

std::string Format(absl::string_view pattern, int64_t v) {
  absl::StatusOr<IntPattern> p = IntPattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->Format(v) : "";
}

TEST(IntPatternTest, FormatsLikePython) {
  EXPECT_EQ(Format("user%d", 7), "user7");
  EXPECT_EQ(Format("user%02d", 7), "user07");
  EXPECT_EQ(Format("user%02d", 123), "user123");
  EXPECT_EQ(Format("%5d|", 42), "   42|");
  EXPECT_EQ(Format("%05d", -42), "-0042");
  EXPECT_EQ(Format("%5d", -42), "  -42");
  EXPECT_EQ(Format("%i", 0), "0");
  EXPECT_EQ(Format("%x", 255), "ff");
  EXPECT_EQ(Format("%04X", 255), "00FF");
  EXPECT_EQ(Format("%o", 8), "10");
  EXPECT_EQ(Format("100%% %d%%", 5), "100% 5%");
  EXPECT_EQ(Format("%d", INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(Format("%d", INT64_MAX), "9223372036854775807");
}

TEST(IntPatternTest, ConstantOnlyWhenAllowed) {
  EXPECT_FALSE(IntPattern::Parse("PodA").ok());
  absl::StatusOr<IntPattern> p = IntPattern::Parse("Pod%%A", /*allow_constant=*/true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Format(3), "Pod%A");
  EXPECT_EQ(p->pattern(), "Pod%%A");
}

TEST(InterleavePodsTest, UnevenPods) {
  std::vector<v1::Account> a;
  for (const char* spec : {"a1A", "a2A", "a3A", "a4A", "b1B", "c1C", "c2C"}) {
    v1::Account& x = a.emplace_back();
    x.set_uid(std::string(spec, 2));
    x.set_pod(std::string(1, spec[2]));
  }
  InterleavePods(&a);
  EXPECT_THAT(Uids(a), ElementsAre("a1", "b1", "c1", "a2", "c2", "a3", "a4"));
  std::vector<v1::Account> empty;
  InterleavePods(&empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace loadsim
