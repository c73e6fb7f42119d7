#include "common/json.h"

#include <cmath>
#include <cstddef>
#include <exception>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/diagnostics.h"
#include "common/file_util.h"
#include "nlohmann/json.hpp"

namespace loadsim {
namespace {

using Json = nlohmann::json;

// Counts the newlines the lexer has consumed, so that a SAX callback can tell on which line
// the token it reports ends.
//
// Every token the parser reports has been read completely when its callback fires. Strings,
// literals and brackets end exactly at their last character. A number has been read one
// character too far (the lexer reads ahead and "ungets" internally, but the input has already
// advanced); if that extra character is a newline, it belongs to the line it terminates, which
// is still the number's line. Hence: the line of the last consumed character, where a newline
// counts as part of the line it ends. No JSON token spans lines (strings may not contain raw
// newlines), so that is also the line where the token starts.
class LineCounter {
 public:
  void Consume(char c) {
    last_was_newline_ = (c == '\n');
    if (last_was_newline_) ++newlines_;
  }
  int Line() const { return 1 + newlines_ - (last_was_newline_ ? 1 : 0); }

 private:
  int newlines_ = 0;
  bool last_was_newline_ = false;
};

// A character iterator over the text that reports each character it steps over to a
// LineCounter. nlohmann's iterator input adapter reads *it and then advances it by one.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, LineCounter* counter) : p_(p), counter_(counter) {}

  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    counter_->Consume(*p_);
    ++p_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return p_ == other.p_; }
  bool operator!=(const CountingIterator& other) const { return p_ != other.p_; }

 private:
  const char* p_;
  LineCounter* counter_;
};

// Parser messages may quote bytes of the input; keep messages printable ASCII.
std::string Printable(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." ->
// "syntax error ...": our own location replaces nlohmann's.
std::string Reason(absl::string_view what) {
  if (!what.empty() && what.front() == '[') {
    size_t close = what.find("] ");
    if (close != absl::string_view::npos) what.remove_prefix(close + 2);
  }
  constexpr absl::string_view kParseError = "parse error";
  if (what.substr(0, kParseError.size()) == kParseError) {
    size_t colon = what.find(": ");
    if (colon != absl::string_view::npos) what.remove_prefix(colon + 2);
  }
  return Printable(what);
}

// Builds the Value tree from SAX events, keeping a stack of the open containers.
class ValueBuilder : public nlohmann::json_sax<Json> {
 public:
  ValueBuilder(absl::string_view file, const LineCounter* counter)
      : file_(file), counter_(counter) {}

  bool null() override { return Add(Value::Null(Here())); }
  bool boolean(bool v) override { return Add(Value::Bool(v, Here())); }
  bool number_integer(number_integer_t v) override {
    return Add(Value::Integer(static_cast<int64_t>(v), Here()));
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (v <= static_cast<number_unsigned_t>(std::numeric_limits<int64_t>::max())) {
      return Add(Value::Integer(static_cast<int64_t>(v), Here()));
    }
    return Add(Value::Real(static_cast<double>(v), Here()));
  }
  bool number_float(number_float_t v, const string_t& text) override {
    if (!std::isfinite(v)) {
      return Fail(ChildPath(), absl::StrCat("number ", Printable(text), " is out of range"));
    }
    return Add(Value::Real(v, Here()));
  }
  bool string(string_t& v) override { return Add(Value::String(std::move(v), Here())); }
  bool binary(binary_t&) override { return Fail(ChildPath(), "binary values are not JSON"); }

  bool start_object(std::size_t) override { return Open(Value::Dict(Here())); }
  bool start_array(std::size_t) override { return Open(Value::Array(Here())); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    Frame& top = stack_.back();
    std::string path = Join(top.path, k);
    if (const Value* first = top.value.Find(k)) {
      size_t index = static_cast<size_t>(first - top.value.items().data());
      return Fail(path,
                  absl::StrCat("duplicate key (first defined at line ", top.key_lines[index], ")"));
    }
    top.key_lines.push_back(counter_->Line());
    top.pending_key = std::move(k);
    return true;
  }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    return Fail("", absl::StrCat("malformed JSON: ", Reason(ex.what())));
  }

  // The error that stopped the parse, if any.
  const absl::Status& error() const { return error_; }
  bool has_root() const { return has_root_; }
  Value TakeRoot() { return std::move(root_); }

 private:
  struct Frame {
    Value value;  // kDict or kArray
    std::string path;
    std::string pending_key;     // dict: key of the value being parsed
    std::vector<int> key_lines;  // dict: line of keys()[i]
  };

  Location Here() const { return Location{file_, counter_->Line()}; }

  static std::string Join(const std::string& path, absl::string_view key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }

  // Key path of the value about to be added.
  std::string ChildPath() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (top.value.is(Value::Type::kArray)) {
      return absl::StrCat(top.path, "[", top.value.size(), "]");
    }
    return Join(top.path, top.pending_key);
  }

  bool Fail(absl::string_view path, absl::string_view message) {
    if (error_.ok()) error_ = LocatedError(Here(), path, message);
    return false;
  }

  bool Open(Value container) {
    if (stack_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      return Fail(ChildPath(), absl::StrCat("nesting deeper than ", kMaxJsonDepth, " levels"));
    }
    std::string path = ChildPath();
    stack_.push_back(Frame{std::move(container), std::move(path), "", {}});
    return true;
  }

  bool Close() {
    Value done = std::move(stack_.back().value);
    stack_.pop_back();
    return Add(std::move(done));
  }

  bool Add(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      has_root_ = true;
      return true;
    }
    Frame& top = stack_.back();
    if (top.value.is(Value::Type::kArray)) {
      top.value.Append(std::move(v));
    } else {
      top.value.Insert(std::move(top.pending_key), std::move(v));
      top.pending_key.clear();
    }
    return true;
  }

  std::string file_;
  const LineCounter* counter_;
  std::vector<Frame> stack_;
  Value root_;
  bool has_root_ = false;
  absl::Status error_;
};

}  // namespace

absl::StatusOr<Value> ParseJson(absl::string_view text, absl::string_view file_name) {
  LineCounter counter;
  ValueBuilder builder(file_name, &counter);
  CountingIterator first(text.data(), &counter);
  CountingIterator last(text.data() + text.size(), &counter);
  bool ok = false;
  try {
    ok = Json::sax_parse(first, last, &builder, Json::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    // sax_parse reports syntax errors through the handler; only allocation failures and the
    // like can get here.
    return LocatedError(Location{std::string(file_name), counter.Line()}, "",
                        absl::StrCat("malformed JSON: ", Reason(e.what())));
  }
  if (!builder.error().ok()) return builder.error();
  if (!ok || !builder.has_root()) {
    return LocatedError(Location{std::string(file_name), counter.Line()}, "",
                        "malformed JSON: parser stopped without a value");
  }
  return builder.TakeRoot();
}

absl::StatusOr<Value> ReadJsonFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseJson(*text, path);
}

}  // namespace loadsim
