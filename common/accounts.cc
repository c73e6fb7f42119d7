#include "common/accounts.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <iterator>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "common/file_util.h"

namespace loadsim {
namespace {

constexpr char kCsvLoader[] = "recordsFromCSVFile";
constexpr char kGenerateLoader[] = "generateRecords";
constexpr char kCountLoader[] = "recordsFromCount";

constexpr absl::string_view kNoDefaultCsv =
    "loadsim has no default accounts.csv beside sim.py; name the CSV file explicitly";

// Column names, by position; "pod" is accepted as well as "podID" for the last one.
constexpr absl::string_view kColumnNames[] = {"uid",   "password", "commonName",
                                              "email", "guid",     "podID"};
constexpr int kShortColumns = 4;
constexpr int kLongColumns = 6;

// The position of a known column name (any case), or -1.
int ColumnIndex(absl::string_view name) {
  for (int i = 0; i < kLongColumns; ++i) {
    if (absl::EqualsIgnoreCase(name, kColumnNames[i])) return i;
  }
  if (absl::EqualsIgnoreCase(name, "pod")) return 5;
  return -1;
}

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = p[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

bool HasControlCharacter(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool IsBlank(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Splits CSV text into records of fields (RFC 4180). Fields are views into the text, or into
// the reader's own storage for quoted fields with doubled quotes; they stay valid until the
// next call to Next.
class CsvReader {
 public:
  CsvReader(absl::string_view text, absl::string_view file) : text_(text), file_(file) {
    if (absl::StartsWith(text_, "\xEF\xBB\xBF")) pos_ = 3;
  }

  // Reads the next record. false at the end of the input. `line` is where the record starts;
  // `blank` is set for an empty (or all-whitespace, unquoted) line.
  absl::StatusOr<bool> Next(std::vector<absl::string_view>* fields, int* line, bool* blank) {
    const size_t n = text_.size();
    if (pos_ >= n) return false;
    fields->clear();
    unescaped_.clear();
    *line = line_;
    bool any_quoted = false;
    while (true) {
      if (pos_ < n && text_[pos_] == '"') {
        any_quoted = true;
        absl::Status status = QuotedField(fields);
        if (!status.ok()) return status;
        if (pos_ >= n) break;
        const char c = text_[pos_];
        if (c == ',') {
          ++pos_;
          continue;
        }
        if (c == '\n' || (c == '\r' && (pos_ + 1 == n || text_[pos_ + 1] == '\n'))) {
          pos_ += (c == '\r') ? 2 : 1;
          if (pos_ > n) pos_ = n;
          ++line_;
          break;
        }
        return Error(line_, absl::StrCat("unexpected character after the closing quote of "
                                         "field ",
                                         fields->size(),
                                         " (a quote inside a quoted field must be doubled)"));
      }
      size_t p = pos_;
      while (p < n && text_[p] != ',' && text_[p] != '\n') ++p;
      const bool last = (p >= n || text_[p] == '\n');
      size_t end = p;
      if (last && end > pos_ && text_[end - 1] == '\r') --end;
      fields->push_back(text_.substr(pos_, end - pos_));
      if (p >= n) {
        pos_ = n;
        break;
      }
      pos_ = p + 1;
      if (last) {
        ++line_;
        break;
      }
    }
    *blank = !any_quoted && fields->size() == 1 && IsBlank((*fields)[0]);
    return true;
  }

  absl::Status Error(int line, absl::string_view message) const {
    return LocatedError(Location{file_, line}, "", message);
  }

 private:
  // Reads a quoted field starting at pos_ (on the opening quote); leaves pos_ after the
  // closing quote.
  absl::Status QuotedField(std::vector<absl::string_view>* fields) {
    const int start_line = line_;
    size_t p = pos_ + 1;
    size_t segment = p;
    std::string* buffer = nullptr;
    while (true) {
      const size_t q = text_.find('"', p);
      if (q == absl::string_view::npos) {
        return Error(start_line, absl::StrCat("quoted field ", fields->size() + 1,
                                              " is not closed before the end of the file"));
      }
      line_ += static_cast<int>(std::count(text_.begin() + p, text_.begin() + q, '\n'));
      if (q + 1 < text_.size() && text_[q + 1] == '"') {  // "" stands for one quote
        if (buffer == nullptr) buffer = &unescaped_.emplace_back();
        buffer->append(text_.data() + segment, q + 1 - segment);
        p = q + 2;
        segment = p;
        continue;
      }
      if (buffer != nullptr) {
        buffer->append(text_.data() + segment, q - segment);
        fields->push_back(*buffer);
      } else {
        fields->push_back(text_.substr(segment, q - segment));
      }
      pos_ = q + 1;
      return absl::OkStatus();
    }
  }

  absl::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int line_ = 1;
  std::deque<std::string> unescaped_;  // stable addresses while a record is being read
};

// Whether the first record is a header line; error if it is one with known column names in
// the wrong places.
absl::StatusOr<bool> CheckHeader(const std::vector<absl::string_view>& fields,
                                 const CsvReader& reader, int line) {
  bool all_known = true;
  for (absl::string_view f : fields) all_known = all_known && ColumnIndex(f) >= 0;
  if (!all_known && !absl::EqualsIgnoreCase(fields[0], "uid")) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    const int index = ColumnIndex(fields[i]);
    if (index >= 0 && static_cast<size_t>(index) != i) {
      return reader.Error(
          line, absl::StrCat("header column '", fields[i], "' is column ", i + 1,
                             " but columns are read by position: uid,password,commonName,email"
                             "[,guid,podID]"));
    }
  }
  return true;
}

absl::string_view StripMailto(absl::string_view email) {
  if (absl::StartsWithIgnoreCase(email, "mailto:")) email.remove_prefix(7);
  return email;
}

// Reads and checks the value of parameter `key`, if present.
class Params {
 public:
  Params(const Value* params, const Location& where, absl::string_view key_path, Diagnostics* diags)
      : params_(params),
        where_(params != nullptr ? params->location() : where),
        key_path_(key_path),
        diags_(diags) {}

  const Value* Find(absl::string_view key) const {
    return params_ == nullptr ? nullptr : params_->Find(key);
  }
  std::string Path(absl::string_view key) const {
    return key_path_.empty() ? std::string(key) : absl::StrCat(key_path_, ".", key);
  }
  // Where to report a missing key.
  const Location& where() const { return where_; }

  void WarnUnknown(absl::string_view loader, absl::Span<const absl::string_view> known) const {
    if (params_ == nullptr) return;
    for (size_t i = 0; i < params_->size(); ++i) {
      const std::string& key = params_->keys()[i];
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      diags_->Warning(params_->items()[i].location(), Path(key),
                      absl::StrCat("unknown parameter of ", loader,
                                   " ignored (known: ", absl::StrJoin(known, ", "), ")"));
    }
  }

  // The string value of `key`, `fallback` if absent; nullopt (error reported) if not a string.
  std::optional<std::string> String(absl::string_view key, absl::string_view fallback) const {
    const Value* v = Find(key);
    if (v == nullptr) return std::string(fallback);
    if (!v->is(Value::Type::kString)) {
      diags_->Error(v->location(), Path(key),
                    absl::StrCat("must be a string (found ", v->type_name(), ")"));
      return std::nullopt;
    }
    return v->string_value();
  }

  // The required record count.
  std::optional<int64_t> Count() const {
    const Value* v = Find("count");
    if (v == nullptr) {
      diags_->Error(where_, Path("count"), "required parameter is missing (number of records)");
      return std::nullopt;
    }
    if (!v->is(Value::Type::kInteger) || v->integer_value() < 1 ||
        v->integer_value() > kMaxGeneratedAccounts) {
      std::string found = v->is(Value::Type::kInteger) ? absl::StrCat(v->integer_value())
                                                       : std::string(v->type_name());
      diags_->Error(v->location(), Path("count"),
                    absl::StrCat("must be an integer from 1 to ", kMaxGeneratedAccounts, " (found ",
                                 found, ")"));
      return std::nullopt;
    }
    return v->integer_value();
  }

  // The pattern of `key` (or `fallback`), parsed.
  std::optional<IntPattern> Pattern(absl::string_view key, absl::string_view fallback,
                                    bool allow_constant = false) const {
    std::optional<std::string> text = String(key, fallback);
    if (!text) return std::nullopt;
    absl::StatusOr<IntPattern> pattern = IntPattern::Parse(*text, allow_constant);
    if (!pattern.ok()) {
      const Value* v = Find(key);
      diags_->Error(v != nullptr ? v->location() : where_, Path(key), pattern.status().message());
      return std::nullopt;
    }
    return *std::move(pattern);
  }

  Diagnostics* diags() const { return diags_; }

 private:
  const Value* params_;
  Location where_;
  std::string key_path_;
  Diagnostics* diags_;
};

std::optional<LoadedAccounts> LoadCsv(const Params& params, LoadedAccounts out) {
  Diagnostics* diags = params.diags();
  params.WarnUnknown(kCsvLoader, {"path", "interleavePods"});
  const int errors_before = diags->error_count();

  bool interleave = false;
  const Value* interleave_value = params.Find("interleavePods");
  if (interleave_value != nullptr) {
    if (interleave_value->is(Value::Type::kBool)) {
      interleave = interleave_value->bool_value();
    } else {
      diags->Error(interleave_value->location(), params.Path("interleavePods"),
                   absl::StrCat("must be a boolean (found ", interleave_value->type_name(), ")"));
    }
  }

  const Value* path_value = params.Find("path");
  if (path_value == nullptr) {
    diags->Error(params.where(), params.Path("path"),
                 absl::StrCat("required parameter is missing: ", kNoDefaultCsv));
    return std::nullopt;
  }
  if (!path_value->is(Value::Type::kString)) {
    diags->Error(path_value->location(), params.Path("path"),
                 absl::StrCat("must be a string (found ", path_value->type_name(), ")"));
    return std::nullopt;
  }
  if (path_value->string_value().empty()) {
    diags->Error(path_value->location(), params.Path("path"),
                 absl::StrCat("is empty: ", kNoDefaultCsv));
    return std::nullopt;
  }
  if (diags->error_count() != errors_before) return std::nullopt;

  std::error_code ec;
  std::filesystem::path resolved =
      ResolvePath(path_value->string_value(), path_value->location().file);
  std::filesystem::path absolute = std::filesystem::absolute(resolved, ec);
  if (!ec) resolved = absolute.lexically_normal();
  const std::string path = resolved.string();

  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    diags->Error(path_value->location(), params.Path("path"),
                 absl::StrCat("cannot read the accounts CSV file: ", text.status().message()));
    return std::nullopt;
  }
  absl::StatusOr<std::vector<v1::Account>> accounts = ParseAccountsCsv(*text, path, interleave);
  if (!accounts.ok()) {
    diags->AddStatus(accounts.status());
    return std::nullopt;
  }
  if (interleave) {
    bool any_pod = false;
    for (const v1::Account& a : *accounts) any_pod = any_pod || !a.pod().empty();
    if (!any_pod) {
      diags->Warning(interleave_value->location(), params.Path("interleavePods"),
                     absl::StrCat("has no effect: ", path, " names no pods"));
    }
  }
  out.spec.set_path(path);
  out.spec.set_count(static_cast<int64_t>(accounts->size()));
  out.accounts = *std::move(accounts);
  return out;
}

// A generating loader: its parameter names and default patterns.
struct Generator {
  const char* loader;
  // Keys of the uid, password, commonName and email patterns, and their defaults.
  absl::string_view keys[4];
  absl::string_view defaults[4];
  bool has_guid_and_pod;  // generateRecords' optional guidPattern and podPattern
};

constexpr Generator kGenerateRecords = {
    kGenerateLoader,
    {"uidPattern", "passwordPattern", "namePattern", "emailPattern"},
    {"user%d", "user%d", "User %d", "user%d@example.com"},
    true};
constexpr Generator kRecordsFromCount = {
    kCountLoader,
    {"uid", "password", "commonName", "email"},
    {"user%02d", "user%02d", "User %02d", "user%02d@example.com"},
    false};
constexpr absl::string_view kGuidKey = "guidPattern";
constexpr absl::string_view kPodKey = "podPattern";

std::optional<LoadedAccounts> LoadGenerated(const Generator& g, const Params& params,
                                            LoadedAccounts out) {
  std::vector<absl::string_view> known = {"count"};
  known.insert(known.end(), std::begin(g.keys), std::end(g.keys));
  if (g.has_guid_and_pod) known.insert(known.end(), {kGuidKey, kPodKey});
  params.WarnUnknown(g.loader, known);

  std::optional<int64_t> count = params.Count();
  bool ok = count.has_value();
  // uid, password, commonName, email, guid, pod; guid and pod only if given.
  std::optional<IntPattern> p[6];
  for (int i = 0; i < 4; ++i) {
    p[i] = params.Pattern(g.keys[i], g.defaults[i]);
    ok = ok && p[i].has_value();
  }
  if (g.has_guid_and_pod && params.Find(kGuidKey) != nullptr) {
    p[4] = params.Pattern(kGuidKey, "");
    ok = ok && p[4].has_value();
  }
  if (g.has_guid_and_pod && params.Find(kPodKey) != nullptr) {
    p[5] = params.Pattern(kPodKey, "", /*allow_constant=*/true);
    ok = ok && p[5].has_value();
  }
  if (!ok) return std::nullopt;

  out.spec.set_count(*count);
  out.spec.set_uid_pattern(p[0]->pattern());
  out.spec.set_password_pattern(p[1]->pattern());
  out.spec.set_name_pattern(p[2]->pattern());
  out.spec.set_email_pattern(p[3]->pattern());
  if (p[4]) out.spec.set_guid_pattern(p[4]->pattern());
  if (p[5]) out.spec.set_pod_pattern(p[5]->pattern());
  out.accounts.reserve(static_cast<size_t>(*count));
  for (int64_t i = 1; i <= *count; ++i) {
    v1::Account& a = out.accounts.emplace_back();
    a.set_uid(p[0]->Format(i));
    a.set_password(p[1]->Format(i));
    a.set_common_name(p[2]->Format(i));
    a.set_email(std::string(StripMailto(p[3]->Format(i))));
    if (p[4]) a.set_guid(p[4]->Format(i));
    if (p[5]) a.set_pod(p[5]->Format(i));
  }
  return out;
}

// Digits of a non-negative value in base 8, 10 or 16.
std::string Digits(uint64_t v, int base, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24];
  int n = 0;
  do {
    buf[n++] = digits[v % static_cast<uint64_t>(base)];
    v /= static_cast<uint64_t>(base);
  } while (v != 0);
  std::reverse(buf, buf + n);
  return std::string(buf, static_cast<size_t>(n));
}

constexpr int kMaxPatternWidth = 64;

}  // namespace

absl::StatusOr<IntPattern> IntPattern::Parse(absl::string_view pattern, bool allow_constant) {
  IntPattern out;
  out.pattern_ = std::string(pattern);
  const auto fail = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("pattern \"", pattern, "\" ", why));
  };
  const size_t n = pattern.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = pattern[i];
    std::string& literal = out.has_conversion_ ? out.suffix_ : out.prefix_;
    if (c != '%') {
      literal.push_back(c);
      continue;
    }
    if (i + 1 < n && pattern[i + 1] == '%') {
      literal.push_back('%');
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool zero = false;
    while (j < n && pattern[j] == '0') {
      zero = true;
      ++j;
    }
    int width = 0;
    while (j < n && absl::ascii_isdigit(static_cast<unsigned char>(pattern[j]))) {
      width = width * 10 + (pattern[j] - '0');
      if (width > kMaxPatternWidth) {
        return fail(absl::StrCat("has a field width above ", kMaxPatternWidth));
      }
      ++j;
    }
    if (j >= n) return fail("ends inside a % conversion (write %% for a percent sign)");
    const char conversion = pattern[j];
    if (conversion != 'd' && conversion != 'i' && conversion != 'x' && conversion != 'X' &&
        conversion != 'o') {
      return fail(absl::StrCat("has the unsupported conversion \"", pattern.substr(i, j - i + 1),
                               "\" (only %d, %i, %x, %X and %o, with an optional 0 flag and "
                               "width, are supported; write %% for a percent sign)"));
    }
    if (out.has_conversion_) {
      return fail("has more than one conversion; exactly one integer conversion is allowed");
    }
    out.has_conversion_ = true;
    out.zero_pad_ = zero;
    out.width_ = width;
    out.conversion_ = conversion;
    i = j;
  }
  if (!out.has_conversion_ && !allow_constant) {
    return fail("has no integer conversion; exactly one of %d, %i, %x, %X or %o is required");
  }
  return out;
}

std::string IntPattern::Format(int64_t value) const {
  if (!has_conversion_) return prefix_;
  const bool negative = value < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(value + 1)) + 1 : static_cast<uint64_t>(value);
  int base = 10;
  if (conversion_ == 'x' || conversion_ == 'X') base = 16;
  if (conversion_ == 'o') base = 8;
  std::string digits = Digits(magnitude, base, conversion_ == 'X');
  const size_t used = digits.size() + (negative ? 1 : 0);
  std::string number;
  if (width_ > 0 && static_cast<size_t>(width_) > used) {
    const size_t pad = static_cast<size_t>(width_) - used;
    if (zero_pad_) {
      number = absl::StrCat(negative ? "-" : "", std::string(pad, '0'), digits);
    } else {
      number = absl::StrCat(std::string(pad, ' '), negative ? "-" : "", digits);
    }
  } else {
    number = absl::StrCat(negative ? "-" : "", digits);
  }
  return absl::StrCat(prefix_, number, suffix_);
}

void InterleavePods(std::vector<v1::Account>* accounts) {
  absl::flat_hash_map<std::string, size_t> pod_index;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < accounts->size(); ++i) {
    auto [it, inserted] = pod_index.try_emplace((*accounts)[i].pod(), groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  if (groups.size() <= 1) return;
  std::vector<v1::Account> out;
  out.reserve(accounts->size());
  // Pods that still have records, in first-seen order; exhausted ones are dropped so each
  // round costs only the pods still contributing.
  std::vector<size_t> active(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) active[g] = g;
  for (size_t round = 0; !active.empty(); ++round) {
    size_t kept = 0;
    for (size_t g : active) {
      out.push_back(std::move((*accounts)[groups[g][round]]));
      if (round + 1 < groups[g].size()) active[kept++] = g;
    }
    active.resize(kept);
  }
  *accounts = std::move(out);
}

absl::StatusOr<std::vector<v1::Account>> ParseAccountsCsv(absl::string_view text,
                                                          absl::string_view file_name,
                                                          bool interleave_pods) {
  CsvReader reader(text, file_name);
  const size_t estimate = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  std::vector<v1::Account> accounts;
  accounts.reserve(std::min<size_t>(estimate, 1u << 22));
  // uid -> line of its record. Keys view the text itself, or `unquoted_uids` for the rare uid
  // that had doubled quotes (the reader reuses its own storage for the next record).
  absl::flat_hash_map<absl::string_view, int> uid_lines;
  uid_lines.reserve(std::min<size_t>(estimate, 1u << 22));
  std::deque<std::string> unquoted_uids;
  const std::less<const char*> before;
  std::vector<absl::string_view> fields;
  fields.reserve(kLongColumns);
  size_t columns = 0;
  int first_line = 0;
  while (true) {
    int line = 0;
    bool blank = false;
    absl::StatusOr<bool> more = reader.Next(&fields, &line, &blank);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (blank) continue;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!IsValidUtf8(fields[i])) {
        return reader.Error(line, absl::StrCat("field ", i + 1, " is not valid UTF-8"));
      }
    }
    if (columns == 0) {
      if (fields.size() != kShortColumns && fields.size() != kLongColumns) {
        return reader.Error(line,
                            absl::StrCat("has ", fields.size(),
                                         " fields; expected 4 (uid,password,commonName,email) or 6 "
                                         "(uid,password,commonName,email,guid,podID)"));
      }
      columns = fields.size();
      first_line = line;
      absl::StatusOr<bool> header = CheckHeader(fields, reader, line);
      if (!header.ok()) return header.status();
      if (*header) continue;
    } else if (fields.size() != columns) {
      return reader.Error(
          line, absl::StrCat("has ", fields.size(), " fields but line ", first_line, " has ",
                             columns, "; every line needs the same columns"));
    }
    const absl::string_view uid = fields[0];
    if (uid.empty()) return reader.Error(line, "uid (field 1) is empty");
    if (HasControlCharacter(uid)) {
      return reader.Error(line, "uid (field 1) contains a control character");
    }
    absl::string_view key = uid;
    if (before(uid.data(), text.data()) || !before(uid.data(), text.data() + text.size())) {
      key = unquoted_uids.emplace_back(uid);
    }
    auto [it, inserted] = uid_lines.try_emplace(key, line);
    if (!inserted) {
      return reader.Error(
          line, absl::StrCat("duplicate uid '", uid, "' (first defined at line ", it->second, ")"));
    }
    v1::Account& a = accounts.emplace_back();
    a.set_uid(uid.data(), uid.size());
    a.set_password(fields[1].data(), fields[1].size());
    a.set_common_name(fields[2].data(), fields[2].size());
    const absl::string_view email = StripMailto(fields[3]);
    a.set_email(email.data(), email.size());
    if (columns == kLongColumns) {
      a.set_guid(fields[4].data(), fields[4].size());
      a.set_pod(fields[5].data(), fields[5].size());
    }
  }
  if (accounts.empty()) {
    return LocatedError(Location{std::string(file_name), 0}, "", "holds no account records");
  }
  if (interleave_pods) InterleavePods(&accounts);
  return accounts;
}

std::optional<LoadedAccounts> LoadAccounts(absl::string_view loader, const Value* params,
                                           const Location& where, absl::string_view key_path,
                                           Diagnostics* diags) {
  if (params != nullptr && !params->is(Value::Type::kDict)) {
    diags->Error(
        params->location(), key_path,
        absl::StrCat("must be a dict of loader parameters (found ", params->type_name(), ")"));
    return std::nullopt;
  }
  LoadedAccounts out;
  out.spec.set_loader(std::string(loader));
  out.spec.mutable_origin()->set_file(where.file);
  out.spec.mutable_origin()->set_line(where.line);
  Params p(params, where, key_path, diags);
  if (loader == kCsvLoader) return LoadCsv(p, std::move(out));
  if (loader == kGenerateLoader) return LoadGenerated(kGenerateRecords, p, std::move(out));
  if (loader == kCountLoader) return LoadGenerated(kRecordsFromCount, p, std::move(out));
  diags->Error(where, key_path,
               absl::StrCat("unknown account loader '", loader, "' (known: ", kCsvLoader, ", ",
                            kGenerateLoader, ", ", kCountLoader, ")"));
  return std::nullopt;
}

}  // namespace loadsim
