#include "common/pgl.h"

#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/distribution_config.h"
#include "common/pgl_schema.h"
#include "common/robot_config.h"
#include "common/units.h"
#include "loadsim/v1/run_spec.pb.h"

namespace loadsim {
namespace {

constexpr int kMaxDepth = 64;          // expression and value nesting
constexpr size_t kMaxLeaves = 100000;  // items of one array, flattened
constexpr int64_t kMaxCount = 1000000;
constexpr size_t kMaxWork = 20000000;  // array items built or copied in one evaluation

// ---- values ------------------------------------------------------------------------------

enum class T { kInt, kFloat, kBool, kString, kTime, kSize, kRate, kBwidth, kDistr, kPopDistr,
               kArray, kRecord };

struct PItem;
struct PField;

struct PValue {
  T type = T::kInt;
  Location at;
  int64_t i = 0;
  double d = 0;   // float; time in s; size in bytes; rate per s; bandwidth in bytes per s
  bool b = false;
  std::string s;  // string; distribution or PopDistr text; record type name
  v1::ValueKind distr_kind = v1::VALUE_KIND_NUMBER;
  int depth = 0;  // array nesting
  std::vector<PItem> items;    // array
  std::vector<PField> fields;  // record, in assignment order
};

struct PItem {
  PValue v;
  std::optional<double> prob;
};

struct PField {
  std::string name;
  PValue v;
};

struct TypeSpec {
  std::string base;
  bool array = false;
};

const std::set<std::string>& ScalarTypes() {
  static const auto* types = new std::set<std::string>{
      "int",        "float",      "bool",      "string",      "time",     "size",
      "rate",       "bwidth",     "time_distr", "size_distr", "int_distr", "float_distr",
      "PopDistr"};
  return *types;
}

bool IsRecordType(absl::string_view name) { return PglRecordFields(name) != nullptr; }
bool IsKnownType(const std::string& name) {
  return ScalarTypes().count(name) > 0 || IsRecordType(name);
}

std::string TypeName(const TypeSpec& t) { return t.array ? t.base + "[]" : t.base; }

TypeSpec ParseTypeText(absl::string_view text) {
  TypeSpec t;
  t.base = std::string(text);
  if (absl::EndsWith(text, "[]")) {
    t.array = true;
    t.base = std::string(text.substr(0, text.size() - 2));
  }
  return t;
}

std::string KindOf(const PValue& v) {
  switch (v.type) {
    case T::kInt: return "int";
    case T::kFloat: return "float";
    case T::kBool: return "bool";
    case T::kString: return "string";
    case T::kTime: return "time";
    case T::kSize: return "size";
    case T::kRate: return "rate";
    case T::kBwidth: return "bwidth";
    case T::kDistr:
      return v.distr_kind == v1::VALUE_KIND_TIME   ? "time_distr"
             : v.distr_kind == v1::VALUE_KIND_SIZE ? "size_distr"
                                                   : "number distribution";
    case T::kPopDistr: return "PopDistr";
    case T::kArray: return "array";
    case T::kRecord: return v.s;
  }
  return "?";
}

bool IsNumeric(const PValue& v) { return v.type == T::kInt || v.type == T::kFloat; }
double AsDouble(const PValue& v) { return v.type == T::kInt ? static_cast<double>(v.i) : v.d; }

size_t CountLeaves(const PValue& v) {
  if (v.type != T::kArray) return 1;
  size_t n = 0;
  for (const PItem& item : v.items) n += CountLeaves(item.v);
  return n;
}

void Leaves(const PValue& v, std::vector<const PValue*>* out) {
  if (v.type != T::kArray) {
    out->push_back(&v);
    return;
  }
  for (const PItem& item : v.items) Leaves(item.v, out);
}

bool HasProbability(const PValue& v) {
  if (v.type != T::kArray) return false;
  for (const PItem& item : v.items) {
    if (item.prob || HasProbability(item.v)) return true;
  }
  return false;
}

const PField* FindField(const PValue& record, absl::string_view name) {
  for (const PField& f : record.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

PValue Scalar(T type, const Location& at) {
  PValue v;
  v.type = type;
  v.at = at;
  return v;
}

PValue EmptyRecord(const std::string& type, const Location& at) {
  PValue v = Scalar(T::kRecord, at);
  v.s = type;
  return v;
}

absl::Status ErrorAt(const Location& at, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(at.ToString(), ": ", message));
}

// ---- the evaluator ---------------------------------------------------------------------

class Evaluator {
 public:
  Evaluator(std::vector<PglToken> tokens, const PglOptions& options)
      : tokens_(std::move(tokens)), options_(options) {}

  absl::StatusOr<PglWorkload> Run() {
    while (Peek().kind != PglToken::kEnd) {
      if (absl::Status s = Statement(); !s.ok()) return s;
    }
    return Lower();
  }

 private:
  struct Var {
    TypeSpec type;
    std::optional<PValue> value;
    Location declared;
  };

  // -- tokens --

  const PglToken& Peek(size_t k = 0) const {
    return tokens_[std::min(pos_ + k, tokens_.size() - 1)];
  }
  const PglToken& Next() {
    const PglToken& t = Peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  static bool IsPunct(const PglToken& t, char c) {
    return t.kind == PglToken::kPunct && t.text.size() == 1 && t.text[0] == c;
  }
  absl::Status Expect(char c, absl::string_view context) {
    if (IsPunct(Peek(), c)) {
      Next();
      return absl::OkStatus();
    }
    return ErrorAt(Peek().at, absl::StrCat("expected '", std::string(1, c), "' ", context,
                                           ", found ", DescribeToken(Peek())));
  }
  absl::StatusOr<std::string> ExpectIdent(absl::string_view what) {
    if (Peek().kind != PglToken::kIdent) {
      return ErrorAt(Peek().at, absl::StrCat("expected ", what, ", found ", DescribeToken(Peek())));
    }
    return Next().text;
  }

  // -- statements --

  absl::Status Statement() {
    const PglToken& t = Peek();
    if (IsPunct(t, ';')) {
      Next();
      return absl::OkStatus();
    }
    if (IsPunct(t, '[')) {
      return ErrorAt(t.at, "multi-assignment ([a, b] = value;) is not supported; assign each "
                           "name on its own");
    }
    if (t.kind != PglToken::kIdent) {
      return ErrorAt(t.at, absl::StrCat("expected a declaration, an assignment or a call, found ",
                                        DescribeToken(t)));
    }
    if (t.text == "if" || t.text == "every") {
      return ErrorAt(t.at, absl::StrCat("control construct '", t.text, "' is not supported"));
    }
    const PglToken& next = Peek(1);
    if (IsPunct(next, '(')) return ProcedureCall();
    const bool declaration_shape = next.kind == PglToken::kIdent || IsPunct(next, '[');
    if (declaration_shape) {
      if (IsKnownType(t.text)) return Declaration();
      if (std::optional<std::string> why = RejectedPglType(t.text)) return ErrorAt(t.at, *why);
      if (next.kind == PglToken::kIdent) {
        return ErrorAt(t.at, absl::StrCat("unknown type '", t.text, "'; types: int, float, "
                                          "bool, string, time, size, rate, bwidth, time_distr, "
                                          "size_distr, int_distr, float_distr, PopDistr, Phase, "
                                          "Goal, Robot, PopModel, Session (and T[] arrays)"));
      }
    }
    return Assignment();
  }

  absl::Status CheckNewName(const PglToken& name) {
    static const std::set<std::string> kReserved = {"true", "false", "yes", "no", "on", "off",
                                                    "if", "every"};
    if (IsKnownType(name.text) || RejectedPglType(name.text) || kReserved.count(name.text) > 0) {
      return ErrorAt(name.at, absl::StrCat("'", name.text, "' is a reserved word"));
    }
    if (auto it = vars_.find(name.text); it != vars_.end()) {
      return ErrorAt(name.at, absl::StrCat("'", name.text, "' is already declared at ",
                                           it->second.declared.ToString()));
    }
    return absl::OkStatus();
  }

  absl::Status Declaration() {
    const PglToken type_tok = Next();
    TypeSpec type{type_tok.text, false};
    if (IsPunct(Peek(), '[')) {
      Next();
      if (absl::Status s = Expect(']', "after '[' of an array type"); !s.ok()) return s;
      type.array = true;
    }
    if (Peek().kind != PglToken::kIdent) {
      return ErrorAt(Peek().at, absl::StrCat("expected a variable name after ", TypeName(type),
                                             ", found ", DescribeToken(Peek())));
    }
    const PglToken name = Next();
    if (absl::Status s = CheckNewName(name); !s.ok()) return s;
    Var var;
    var.type = type;
    var.declared = name.at;
    if (IsPunct(Peek(), '=')) {
      Next();
      absl::StatusOr<PValue> v = Expr(&type);
      if (!v.ok()) return v.status();
      absl::StatusOr<PValue> converted = Convert(*std::move(v), type, name.text);
      if (!converted.ok()) return converted.status();
      var.value = *std::move(converted);
    } else if (!type.array && IsRecordType(type.base)) {
      var.value = EmptyRecord(type.base, name.at);
    }
    if (absl::Status s = Expect(';', "after a declaration"); !s.ok()) return s;
    vars_.emplace(name.text, std::move(var));
    return absl::OkStatus();
  }

  // name(.field)* = expr ;
  absl::Status Assignment() {
    std::vector<std::pair<std::string, Location>> path;
    const PglToken first = Next();
    path.emplace_back(first.text, first.at);
    while (IsPunct(Peek(), '.')) {
      Next();
      const Location at = Peek().at;
      absl::StatusOr<std::string> field = ExpectIdent("a field name after '.'");
      if (!field.ok()) return field.status();
      path.emplace_back(*field, at);
    }
    if (!IsPunct(Peek(), '=')) {
      return ErrorAt(Peek().at, absl::StrCat("expected '=' after ", PathText(path), ", found ",
                                             DescribeToken(Peek())));
    }
    Next();  // '='
    auto it = vars_.find(first.text);
    if (it == vars_.end()) {
      return ErrorAt(first.at, absl::StrCat("'", first.text,
                                            "' is not declared (declare it with a type, e.g. "
                                            "Robot ", first.text, " = { ... };)"));
    }
    Var& var = it->second;
    if (path.size() == 1) {
      absl::StatusOr<PValue> v = Expr(&var.type);
      if (!v.ok()) return v.status();
      absl::StatusOr<PValue> converted = Convert(*std::move(v), var.type, first.text);
      if (!converted.ok()) return converted.status();
      var.value = *std::move(converted);
    } else {
      if (var.type.array || !IsRecordType(var.type.base)) {
        return ErrorAt(path[1].second, absl::StrCat("'", first.text, "' is a ",
                                                    TypeName(var.type), ", which has no fields"));
      }
      absl::StatusOr<TypeSpec> ftype = FieldType(var.type.base, path, 1);
      if (!ftype.ok()) return ftype.status();
      absl::StatusOr<PValue> v = Expr(&*ftype);
      if (!v.ok()) return v.status();
      if (absl::Status s = AssignField(&*var.value, path, 1, *std::move(v)); !s.ok()) return s;
    }
    return Expect(';', "after an assignment");
  }

  static std::string PathText(const std::vector<std::pair<std::string, Location>>& path) {
    std::vector<std::string> names;
    for (const auto& p : path) names.push_back(p.first);
    return absl::StrJoin(names, ".");
  }

  // The field spec of `name` in `record`, or an error naming what is wrong.
  absl::StatusOr<const PglFieldSpec*> FieldSpec(const std::string& record,
                                               const std::string& name, const Location& at) {
    for (const PglFieldSpec& f : *PglRecordFields(record)) {
      if (name == f.name) return &f;
    }
    if (std::optional<std::string> why = RejectedPglField(record, name)) {
      return ErrorAt(at, *why);
    }
    std::vector<std::string> names;
    for (const PglFieldSpec& f : *PglRecordFields(record)) names.push_back(f.name);
    return ErrorAt(at, absl::StrCat(record, " has no field '", name, "'; its fields: ",
                                    absl::StrJoin(names, ", ")));
  }

  // The type of record.path[from].path[from+1]...
  absl::StatusOr<TypeSpec> FieldType(const std::string& record,
                                     const std::vector<std::pair<std::string, Location>>& path,
                                     size_t from) {
    std::string current = record;
    TypeSpec type;
    for (size_t k = from; k < path.size(); ++k) {
      absl::StatusOr<const PglFieldSpec*> f = FieldSpec(current, path[k].first, path[k].second);
      if (!f.ok()) return f.status();
      type = ParseTypeText((*f)->type);
      if (k + 1 < path.size()) {
        const std::string base = type.base == "busy_period" ? "Goal" : type.base;
        if (type.array || !IsRecordType(base)) {
          return ErrorAt(path[k + 1].second,
                         absl::StrCat(current, ".", path[k].first, " is a ", TypeName(type),
                                      ", which has no fields"));
        }
        current = base;
      }
    }
    return type;
  }

  absl::Status AssignField(PValue* record, const std::vector<std::pair<std::string, Location>>& path,
                           size_t k, PValue value) {
    absl::StatusOr<const PglFieldSpec*> spec = FieldSpec(record->s, path[k].first, path[k].second);
    if (!spec.ok()) return spec.status();
    const TypeSpec type = ParseTypeText((*spec)->type);
    PField* field = nullptr;
    for (PField& f : record->fields) {
      if (f.name == path[k].first) field = &f;
    }
    if (k + 1 == path.size()) {
      absl::StatusOr<PValue> converted = Convert(std::move(value), type, PathText(path));
      if (!converted.ok()) return converted.status();
      if (field == nullptr) {
        record->fields.push_back(PField{path[k].first, *std::move(converted)});
      } else {
        field->v = *std::move(converted);
      }
      return absl::OkStatus();
    }
    const std::string base = type.base == "busy_period" ? "Goal" : type.base;
    if (field == nullptr) {
      record->fields.push_back(PField{path[k].first, EmptyRecord(base, path[k].second)});
      field = &record->fields.back();
    } else if (field->v.type != T::kRecord) {
      return ErrorAt(path[k + 1].second,
                     absl::StrCat(path[k].first, " holds a ", KindOf(field->v),
                                  ", which has no fields"));
    }
    return AssignField(&field->v, path, k + 1, std::move(value));
  }

  // use(...), schedule(...), working_set_length(t), working_set_cap(n).
  absl::Status ProcedureCall() {
    const PglToken name = Next();
    Next();  // '('
    if (name.text != "use" && name.text != "schedule" && name.text != "working_set_length" &&
        name.text != "working_set_cap") {
      if (std::optional<std::string> why = RejectedPglFunction(name.text)) {
        return ErrorAt(name.at, *why);
      }
      if (IsFunction(name.text)) {
        return ErrorAt(name.at, absl::StrCat(name.text, "() gives a value; use it in an "
                                                        "expression (e.g. x = ",
                                             name.text, "(...);)"));
      }
      return ErrorAt(name.at, absl::StrCat("unknown procedure ", name.text,
                                           "(); procedures: use, schedule, working_set_length, "
                                           "working_set_cap"));
    }
    std::vector<PValue> args;
    if (absl::Status s = Arguments(&args); !s.ok()) return s;
    if (absl::Status s = Expect(';', absl::StrCat("after ", name.text, "(...)")); !s.ok()) {
      return s;
    }
    if (name.text == "use" || name.text == "schedule") {
      const bool use = name.text == "use";
      const char* want = use ? "Robot" : "Phase";
      std::vector<const PValue*> leaves;
      for (const PValue& a : args) {
        if (HasProbability(a)) {
          return ErrorAt(a.at, absl::StrCat(name.text, "() takes no probabilities"));
        }
        Leaves(a, &leaves);
      }
      if (leaves.empty()) return ErrorAt(name.at, absl::StrCat(name.text, "() needs at least one ",
                                                               want));
      if (!use && schedule_) {
        return ErrorAt(name.at, absl::StrCat("schedule() is already called at ",
                                             schedule_at_.ToString(),
                                             "; give every phase in one call"));
      }
      std::vector<PValue> copies;
      for (const PValue* leaf : leaves) {
        if (leaf->type != T::kRecord || leaf->s != want) {
          return ErrorAt(leaf->at,
                         absl::StrCat(name.text, "() takes ", use ? "robots" : "phases",
                                      ", got a ", KindOf(*leaf),
                                      use ? "" : "; robots go to use()"));
        }
        copies.push_back(*leaf);  // copied now: later assignments do not change it
      }
      if (use) {
        for (PValue& c : copies) used_.emplace_back(std::move(c), name.at);
      } else {
        schedule_ = std::move(copies);
        schedule_at_ = name.at;
      }
      return absl::OkStatus();
    }
    const bool length = name.text == "working_set_length";
    std::optional<PValue>& slot = length ? wss_length_ : wss_cap_;
    if (args.size() != 1) {
      return ErrorAt(name.at, absl::StrCat(name.text, "() takes one argument (",
                                           length ? "a time" : "an int", ")"));
    }
    if (slot) {
      return ErrorAt(name.at, absl::StrCat(name.text, "() is already called at ",
                                           slot->at.ToString()));
    }
    absl::StatusOr<PValue> v = Convert(args[0], TypeSpec{length ? "time" : "int", false},
                                       absl::StrCat(name.text, "() argument"));
    if (!v.ok()) return v.status();
    if ((length && v->d < 0) || (!length && v->i < 0)) {
      return ErrorAt(args[0].at, absl::StrCat(name.text, "() needs a value >= 0"));
    }
    v->at = name.at;
    slot = *std::move(v);
    return absl::OkStatus();
  }

  absl::Status Arguments(std::vector<PValue>* args) {
    if (IsPunct(Peek(), ')')) {
      Next();
      return absl::OkStatus();
    }
    while (true) {
      absl::StatusOr<PValue> v = Expr(nullptr);
      if (!v.ok()) return v.status();
      args->push_back(*std::move(v));
      if (IsPunct(Peek(), ',')) {
        Next();
        continue;
      }
      return Expect(')', "to close the argument list");
    }
  }

  // -- expressions --

  class DepthGuard {
   public:
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    bool too_deep() const { return *depth_ > kMaxDepth; }

   private:
    int* depth_;
  };

  absl::StatusOr<PValue> Expr(const TypeSpec* expected) {
    DepthGuard guard(&depth_);
    if (guard.too_deep()) return ErrorAt(Peek().at, "expression nested too deeply");
    return Operands(0, expected);
  }

  // Left-associative binary operators: level 0 is + and -, level 1 is * and /.
  absl::StatusOr<PValue> Operands(int level, const TypeSpec* expected) {
    const char* ops = level == 0 ? "+-" : "*/";
    auto operand = [&](const TypeSpec* e) { return level == 0 ? Operands(1, e) : Unary(e); };
    absl::StatusOr<PValue> left = operand(expected);
    if (!left.ok()) return left;
    while (IsPunct(Peek(), ops[0]) || IsPunct(Peek(), ops[1])) {
      const PglToken op = Next();
      absl::StatusOr<PValue> right = operand(nullptr);
      if (!right.ok()) return right;
      left = Binary(op.text[0], *std::move(left), *std::move(right), op.at);
      if (!left.ok()) return left;
    }
    return left;
  }

  absl::StatusOr<PValue> Unary(const TypeSpec* expected) {
    DepthGuard guard(&depth_);
    if (guard.too_deep()) return ErrorAt(Peek().at, "expression nested too deeply");
    if (IsPunct(Peek(), '-') || IsPunct(Peek(), '+')) {
      const PglToken op = Next();
      absl::StatusOr<PValue> v = Unary(nullptr);
      if (!v.ok()) return v;
      if (op.text == "+") {
        if (!IsNumeric(*v) && v->type != T::kTime && v->type != T::kSize && v->type != T::kRate &&
            v->type != T::kBwidth) {
          return ErrorAt(op.at, absl::StrCat("unary + needs a number, got a ", KindOf(*v)));
        }
        return v;
      }
      switch (v->type) {
        case T::kInt:
          if (v->i == std::numeric_limits<int64_t>::min()) {
            return ErrorAt(op.at, "integer overflow");
          }
          v->i = -v->i;
          v->at = op.at;
          return v;
        case T::kFloat:
        case T::kTime:
        case T::kSize:
        case T::kRate:
        case T::kBwidth:
          v->d = -v->d;
          v->at = op.at;
          return v;
        default:
          return ErrorAt(op.at, absl::StrCat("cannot negate a ", KindOf(*v)));
      }
    }
    return Primary(expected);
  }

  absl::StatusOr<PValue> Primary(const TypeSpec* expected) {
    const PglToken t = Next();
    switch (t.kind) {
      case PglToken::kInt: {
        PValue v = Scalar(T::kInt, t.at);
        v.i = t.int_value;
        return v;
      }
      case PglToken::kFloat:
      case PglToken::kTime:
      case PglToken::kSize: {
        PValue v = Scalar(t.kind == PglToken::kFloat  ? T::kFloat
                          : t.kind == PglToken::kTime ? T::kTime
                                                      : T::kSize,
                          t.at);
        v.d = t.number;
        return v;
      }
      case PglToken::kString: {
        PValue v = Scalar(T::kString, t.at);
        v.s = t.text;
        return v;
      }
      case PglToken::kPunct:
        if (t.text == "(") {
          absl::StatusOr<PValue> v = Expr(expected);
          if (!v.ok()) return v;
          if (absl::Status s = Expect(')', "to close '('"); !s.ok()) return s;
          return v;
        }
        if (t.text == "[") return ArrayLiteral(expected, t.at);
        if (t.text == "{") return RecordLiteral(expected, t.at);
        return ErrorAt(t.at, absl::StrCat("expected a value, found ", DescribeToken(t)));
      case PglToken::kIdent:
        return Name(t);
      case PglToken::kEnd:
        break;
    }
    return ErrorAt(t.at, absl::StrCat("expected a value, found ", DescribeToken(t)));
  }

  absl::StatusOr<PValue> Name(const PglToken& t) {
    if (IsPunct(Peek(), '(')) {
      Next();
      std::vector<PValue> args;
      if (absl::Status s = Arguments(&args); !s.ok()) return s;
      return Call(t, std::move(args));
    }
    for (const auto& [word, value] : {std::pair<const char*, bool>{"true", true},
                                      {"yes", true},
                                      {"on", true},
                                      {"false", false},
                                      {"no", false},
                                      {"off", false}}) {
      if (t.text == word) {
        PValue v = Scalar(T::kBool, t.at);
        v.b = value;
        return v;
      }
    }
    auto it = vars_.find(t.text);
    if (it == vars_.end()) {
      if (absl::StatusOr<double> sec = ParseTime(t.text); sec.ok()) {
        PValue v = Scalar(T::kTime, t.at);
        v.d = *sec;
        return v;
      }
      if (t.text != "Kb" && t.text != "Mb" && t.text != "Gb") {
        if (absl::StatusOr<double> bytes = ParseSize(t.text); bytes.ok()) {
          PValue v = Scalar(T::kSize, t.at);
          v.d = *bytes;
          return v;
        }
      }
      return ErrorAt(t.at, absl::StrCat("unknown name '", t.text, "'"));
    }
    if (!it->second.value) {
      return ErrorAt(t.at, absl::StrCat("'", t.text, "' has no value yet (declared at ",
                                        it->second.declared.ToString(), ")"));
    }
    work_ += CountLeaves(*it->second.value) + it->second.value->fields.size();
    if (work_ > kMaxWork) return ErrorAt(t.at, "the workload builds too many values");
    PValue v = *it->second.value;
    std::string path = t.text;
    while (IsPunct(Peek(), '.')) {
      Next();
      const Location at = Peek().at;
      absl::StatusOr<std::string> field = ExpectIdent("a field name after '.'");
      if (!field.ok()) return field.status();
      if (v.type != T::kRecord) {
        return ErrorAt(at, absl::StrCat(path, " is a ", KindOf(v), ", which has no fields"));
      }
      absl::StatusOr<const PglFieldSpec*> spec = FieldSpec(v.s, *field, at);
      if (!spec.ok()) return spec.status();
      const PField* f = FindField(v, *field);
      absl::StrAppend(&path, ".", *field);
      if (f == nullptr) return ErrorAt(at, absl::StrCat(path, " is not set"));
      PValue inner = f->v;
      v = std::move(inner);
    }
    return v;
  }

  absl::StatusOr<PValue> ArrayLiteral(const TypeSpec* expected, const Location& at) {
    std::optional<TypeSpec> item_type;
    if (expected != nullptr && expected->array) item_type = TypeSpec{expected->base, false};
    PValue array = Scalar(T::kArray, at);
    size_t leaves = 0;
    if (IsPunct(Peek(), ']')) {
      Next();
      return array;
    }
    while (true) {
      absl::StatusOr<PValue> v = Expr(item_type ? &*item_type : nullptr);
      if (!v.ok()) return v;
      PItem item{*std::move(v), std::nullopt};
      if (IsPunct(Peek(), ':')) {
        const Location pat = Next().at;
        absl::StatusOr<PValue> p = Expr(nullptr);
        if (!p.ok()) return p;
        if (!IsNumeric(*p)) {
          return ErrorAt(p->at, absl::StrCat("a selector probability is a number or a "
                                             "percentage (30%), got a ",
                                             KindOf(*p)));
        }
        const double prob = AsDouble(*p);
        if (!std::isfinite(prob) || prob < 0 || prob > 1) {
          return ErrorAt(pat, absl::StrCat("selector probability ", FormatNumber(prob * 100),
                                           "% is out of range (0% to 100%)"));
        }
        item.prob = prob;
      }
      leaves += CountLeaves(item.v);
      if (leaves > kMaxLeaves) {
        return ErrorAt(at, absl::StrCat("array has more than ", kMaxLeaves, " items"));
      }
      array.depth = std::max(array.depth, item.v.depth + 1);
      if (array.depth > kMaxDepth) return ErrorAt(at, "arrays nested too deeply");
      array.items.push_back(std::move(item));
      if (IsPunct(Peek(), ',')) {
        Next();
        continue;
      }
      if (absl::Status s = Expect(']', "to close the array"); !s.ok()) return s;
      return array;
    }
  }

  absl::StatusOr<PValue> RecordLiteral(const TypeSpec* expected, const Location& at) {
    std::string type;
    if (expected != nullptr && !expected->array) {
      type = expected->base == "busy_period" ? "Goal" : expected->base;
    }
    if (!IsRecordType(type)) {
      return ErrorAt(at, absl::StrCat("a record literal { ... } needs a record type here (",
                                      expected == nullptr ? "none is known"
                                                          : "expected " + TypeName(*expected),
                                      "); write it in a declaration such as Robot R = { ... };"));
    }
    PValue record = EmptyRecord(type, at);
    while (!IsPunct(Peek(), '}')) {
      if (IsPunct(Peek(), ';')) {
        Next();
        continue;
      }
      std::vector<std::pair<std::string, Location>> path;
      const Location first_at = Peek().at;
      absl::StatusOr<std::string> first = ExpectIdent(absl::StrCat("a ", type, " field name"));
      if (!first.ok()) return first.status();
      path.emplace_back(*first, first_at);
      while (IsPunct(Peek(), '.')) {
        Next();
        const Location fat = Peek().at;
        absl::StatusOr<std::string> field = ExpectIdent("a field name after '.'");
        if (!field.ok()) return field.status();
        path.emplace_back(*field, fat);
      }
      if (absl::Status s = Expect('=', absl::StrCat("after field ", PathText(path))); !s.ok()) {
        return s;
      }
      absl::StatusOr<TypeSpec> ftype = FieldType(type, path, 0);
      if (!ftype.ok()) return ftype.status();
      absl::StatusOr<PValue> v = Expr(&*ftype);
      if (!v.ok()) return v;
      if (absl::Status s = AssignField(&record, path, 0, *std::move(v)); !s.ok()) return s;
      if (!IsPunct(Peek(), '}')) {
        if (absl::Status s = Expect(';', "after a field assignment"); !s.ok()) return s;
      }
    }
    Next();  // '}'
    return record;
  }

  static bool IsFunction(absl::string_view name) {
    static const std::set<std::string> kFunctions = {"const", "unif",    "exp",     "norm",
                                                     "logn",  "zipf",    "seq",     "popUnif",
                                                     "popZipf", "int",   "float",   "count"};
    return kFunctions.count(std::string(name)) > 0;
  }

  absl::StatusOr<PValue> Call(const PglToken& name, std::vector<PValue> args) {
    const std::string& f = name.text;
    auto arity = [&](size_t n) -> absl::Status {
      if (args.size() == n) return absl::OkStatus();
      return ErrorAt(name.at, absl::StrCat(f, "() takes ", n, " argument", n == 1 ? "" : "s",
                                           ", got ", args.size()));
    };
    if (f == "const" || f == "unif" || f == "exp" || f == "norm" || f == "logn" || f == "zipf" ||
        f == "seq") {
      return Distribution(name, args);
    }
    if (f == "popUnif" || f == "popZipf") {
      if (absl::Status s = arity(f == "popUnif" ? 0 : 1); !s.ok()) return s;
      std::string text = "popUnif()";
      if (f == "popZipf") {
        if (!IsNumeric(args[0])) {
          return ErrorAt(args[0].at, absl::StrCat("popZipf(skew) takes a number, got a ",
                                                  KindOf(args[0])));
        }
        text = absl::StrCat("popZipf(", FormatNumber(AsDouble(args[0])), ")");
      }
      v1::PopModel check;
      if (absl::Status s = ParsePopDistr(text, &check); !s.ok()) return ErrorAt(name.at, s.message());
      PValue v = Scalar(T::kPopDistr, name.at);
      v.s = text;
      return v;
    }
    if (f == "int" || f == "float") {
      if (absl::Status s = arity(1); !s.ok()) return s;
      if (!IsNumeric(args[0])) {
        return ErrorAt(args[0].at, absl::StrCat(f, "() takes a number, got a ", KindOf(args[0])));
      }
      if (f == "float") {
        PValue v = Scalar(T::kFloat, name.at);
        v.d = AsDouble(args[0]);
        return v;
      }
      const double x = std::trunc(AsDouble(args[0]));
      if (!(std::fabs(x) < 9.2e18)) return ErrorAt(name.at, "int() argument is out of range");
      PValue v = Scalar(T::kInt, name.at);
      v.i = static_cast<int64_t>(x);
      return v;
    }
    if (f == "count") {
      if (absl::Status s = arity(1); !s.ok()) return s;
      PValue v = Scalar(T::kInt, name.at);
      v.i = args[0].type == T::kArray ? static_cast<int64_t>(CountLeaves(args[0])) : 1;
      return v;
    }
    if (f == "use" || f == "schedule" || f == "working_set_length" || f == "working_set_cap") {
      return ErrorAt(name.at, absl::StrCat(f, "() is a procedure: call it as a statement"));
    }
    if (std::optional<std::string> why = RejectedPglFunction(f)) return ErrorAt(name.at, *why);
    return ErrorAt(name.at, absl::StrCat("unknown function ", f,
                                         "(); functions: const, unif, exp, norm, logn, zipf, seq, "
                                         "popUnif, popZipf, int, float, count"));
  }

  // A distribution typed by its arguments, checked by the configuration's own parser.
  absl::StatusOr<PValue> Distribution(const PglToken& name, const std::vector<PValue>& args) {
    v1::ValueKind kind = v1::VALUE_KIND_NUMBER;
    std::vector<std::string> shown;
    for (const PValue& a : args) {
      Quantity::Kind q = Quantity::kNumber;
      if (a.type == T::kTime) {
        q = Quantity::kTime;
      } else if (a.type == T::kSize) {
        q = Quantity::kSize;
      } else if (!IsNumeric(a)) {
        return ErrorAt(a.at, absl::StrCat(name.text, "() takes numbers, times or sizes, got a ",
                                          KindOf(a)));
      }
      const v1::ValueKind k = q == Quantity::kTime   ? v1::VALUE_KIND_TIME
                              : q == Quantity::kSize ? v1::VALUE_KIND_SIZE
                                                     : v1::VALUE_KIND_NUMBER;
      if (k != v1::VALUE_KIND_NUMBER) {
        if (kind != v1::VALUE_KIND_NUMBER && kind != k) {
          return ErrorAt(a.at, absl::StrCat(name.text, "() mixes times and sizes"));
        }
        kind = k;
      }
      shown.push_back(FormatQuantity(IsNumeric(a) ? AsDouble(a) : a.d, q));
    }
    const std::string text = absl::StrCat(name.text, "(", absl::StrJoin(shown, ", "), ")");
    absl::StatusOr<v1::Distribution> d = ParsePglDistribution(text, kind);
    if (!d.ok()) return ErrorAt(name.at, d.status().message());
    PValue v = Scalar(T::kDistr, name.at);
    v.s = text;
    v.distr_kind = kind;
    return v;
  }

  absl::StatusOr<PValue> Binary(char op, PValue a, PValue b, const Location& at) {
    auto result = [&](T type, double d) -> absl::StatusOr<PValue> {
      if (!std::isfinite(d)) return ErrorAt(at, "the result is not a finite number");
      PValue v = Scalar(type, a.at);
      v.d = d;
      return v;
    };
    auto mismatch = [&]() {
      return ErrorAt(at, absl::StrCat("type mismatch: ", KindOf(a), " ", std::string(1, op), " ",
                                      KindOf(b)));
    };
    if (a.type == T::kInt && b.type == T::kInt) {
      int64_t r = 0;
      bool overflow = false;
      switch (op) {
        case '+': overflow = __builtin_add_overflow(a.i, b.i, &r); break;
        case '-': overflow = __builtin_sub_overflow(a.i, b.i, &r); break;
        case '*': overflow = __builtin_mul_overflow(a.i, b.i, &r); break;
        case '/':
          if (b.i == 0) return ErrorAt(at, "integer division by zero");
          if (a.i == std::numeric_limits<int64_t>::min() && b.i == -1) {
            overflow = true;
          } else {
            r = a.i / b.i;  // PGL integer division truncates: 3/2 is 1
          }
          break;
      }
      if (overflow) return ErrorAt(at, "integer overflow");
      PValue v = Scalar(T::kInt, a.at);
      v.i = r;
      return v;
    }
    const bool an = IsNumeric(a), bn = IsNumeric(b);
    const double x = an ? AsDouble(a) : a.d, y = bn ? AsDouble(b) : b.d;
    if (a.type > T::kBwidth || b.type > T::kBwidth || a.type == T::kBool || b.type == T::kBool ||
        a.type == T::kString || b.type == T::kString) {
      return mismatch();
    }
    if (op == '/' && y == 0) return ErrorAt(at, "division by zero");
    if (op == '+' || op == '-') {
      const double r = op == '+' ? x + y : x - y;
      if (an && bn) return result(T::kFloat, r);
      if (a.type == b.type) return result(a.type, r);
      return mismatch();
    }
    if (op == '*') {
      if (an && bn) return result(T::kFloat, x * y);
      if (an) return result(b.type, x * y);
      if (bn) return result(a.type, x * y);
      if ((a.type == T::kRate && b.type == T::kTime) || (a.type == T::kTime && b.type == T::kRate)) {
        return result(T::kFloat, x * y);
      }
      if ((a.type == T::kBwidth && b.type == T::kTime) ||
          (a.type == T::kTime && b.type == T::kBwidth)) {
        return result(T::kSize, x * y);
      }
      return mismatch();
    }
    // '/'
    if (an && bn) return result(T::kFloat, x / y);
    if (bn) return result(a.type, x / y);
    if (a.type == b.type) return result(T::kFloat, x / y);
    if (an && b.type == T::kTime) return result(T::kRate, x / y);
    if (an && b.type == T::kRate) return result(T::kTime, x / y);
    if (a.type == T::kSize && b.type == T::kTime) return result(T::kBwidth, x / y);
    if (a.type == T::kSize && b.type == T::kBwidth) return result(T::kTime, x / y);
    return mismatch();
  }

  // `v` as a value of type `t`, or an error naming `what`.
  absl::StatusOr<PValue> Convert(PValue v, const TypeSpec& t, absl::string_view what) {
    if (t.array) {
      if (v.type != T::kArray) {
        PValue array = Scalar(T::kArray, v.at);
        array.depth = 1;
        array.items.push_back(PItem{std::move(v), std::nullopt});
        v = std::move(array);
      }
      const TypeSpec item_type{t.base, false};
      for (PItem& item : v.items) {
        const TypeSpec& want = item.v.type == T::kArray ? t : item_type;
        absl::StatusOr<PValue> c = Convert(std::move(item.v), want, what);
        if (!c.ok()) return c;
        item.v = *std::move(c);
      }
      return v;
    }
    auto mismatch = [&](absl::string_view hint = "") {
      return ErrorAt(v.at, absl::StrCat(what, " takes a ", TypeName(t), ", got a ", KindOf(v),
                                        hint));
    };
    if (v.type == T::kArray) return mismatch();
    const std::string& b = t.base;
    const bool zero = v.type == T::kInt && v.i == 0;
    if (b == "int") {
      if (v.type == T::kInt) return v;
      if (v.type == T::kFloat) return mismatch(" (no implicit float-to-int conversion; use int())");
      return mismatch();
    }
    if (b == "float") {
      if (v.type == T::kFloat) return v;
      if (v.type == T::kInt) {
        PValue f = Scalar(T::kFloat, v.at);
        f.d = static_cast<double>(v.i);
        return f;
      }
      return mismatch();
    }
    static const auto* const kExactTypes = new std::map<std::string, T>{{"bool", T::kBool},   {"string", T::kString},
                                             {"time", T::kTime},   {"size", T::kSize},
                                             {"rate", T::kRate},   {"bwidth", T::kBwidth},
                                             {"PopDistr", T::kPopDistr}};
    if (auto it = kExactTypes->find(b); it != kExactTypes->end()) {
      if (v.type == it->second) return v;
      if (zero && (it->second == T::kTime || it->second == T::kSize ||
                   it->second == T::kRate || it->second == T::kBwidth)) {
        return Scalar(it->second, v.at);  // PGL: integer 0 converts to "none"
      }
      if (b == "rate" && IsNumeric(v)) return mismatch(" (write a rate as count/time, e.g. 10/sec)");
      if ((b == "time" || b == "size") && IsNumeric(v)) {
        return mismatch(b == "time" ? " (add a unit, e.g. 5sec)" : " (add a unit, e.g. 13KB)");
      }
      return mismatch();
    }
    if (b == "time_distr" || b == "size_distr" || b == "int_distr" || b == "float_distr" ||
        b == "busy_period") {
      const v1::ValueKind want = b == "time_distr" || b == "busy_period" ? v1::VALUE_KIND_TIME
                                 : b == "size_distr"                     ? v1::VALUE_KIND_SIZE
                                                                         : v1::VALUE_KIND_NUMBER;
      if (b == "busy_period" && v.type == T::kRecord && v.s == "Goal") return v;
      if (v.type == T::kDistr) {
        if (v.distr_kind == want) return v;
        if (v.distr_kind == v1::VALUE_KIND_NUMBER && want != v1::VALUE_KIND_NUMBER) {
          // unitless arguments are base units (seconds, bytes): unif(0, 2) in a time slot
          PValue d = v;
          d.distr_kind = want;
          if (absl::Status s = ParsePglDistribution(d.s, want).status(); !s.ok()) {
            return ErrorAt(v.at, s.message());
          }
          return d;
        }
        return mismatch();
      }
      // A plain value is a constant distribution.
      Quantity::Kind q = Quantity::kNumber;
      if (want == v1::VALUE_KIND_TIME && v.type == T::kTime) {
        q = Quantity::kTime;
      } else if (want == v1::VALUE_KIND_SIZE && v.type == T::kSize) {
        q = Quantity::kSize;
      } else if (!(IsNumeric(v) && (want == v1::VALUE_KIND_NUMBER || zero))) {
        return mismatch();
      }
      PValue d = Scalar(T::kDistr, v.at);
      d.distr_kind = want;
      d.s = absl::StrCat("const(", FormatQuantity(IsNumeric(v) ? AsDouble(v) : v.d, q), ")");
      if (absl::Status s = ParsePglDistribution(d.s, want).status(); !s.ok()) {
        return ErrorAt(v.at, s.message());
      }
      return d;
    }
    if (IsRecordType(b)) {
      if (v.type == T::kRecord && v.s == b) return v;
      return mismatch();
    }
    return ErrorAt(v.at, absl::StrCat("internal: unknown type ", TypeName(t)));
  }

  // -- lowering to a configuration document --

  static Value Selector(const PValue& array) {
    Value out = Value::Array(array.at);
    for (const PItem& item : array.items) {
      Value entry = Value::Dict(item.v.at);
      if (item.v.type == T::kArray) {
        entry.Insert("items", Selector(item.v));
      } else {
        entry.Insert("value", Value::String(item.v.s, item.v.at));
      }
      if (item.prob) entry.Insert("probability", Value::Real(*item.prob, item.v.at));
      out.Append(std::move(entry));
    }
    return out;
  }

  absl::StatusOr<Value> LowerValue(const PValue& v, const TypeSpec& type) {
    if (type.array) return Selector(v);
    switch (v.type) {
      case T::kInt: return Value::Integer(v.i, v.at);
      case T::kFloat:
      case T::kTime:
      case T::kSize:
      case T::kRate:
      case T::kBwidth: return Value::Real(v.d, v.at);
      case T::kBool: return Value::Bool(v.b, v.at);
      case T::kString:
      case T::kDistr:
      case T::kPopDistr: return Value::String(v.s, v.at);
      case T::kArray: return Selector(v);
      case T::kRecord: break;
    }
    if (type.base == "busy_period") {  // a Goal: only its duration makes a busy period
      for (const PField& f : v.fields) {
        if (f.name != "duration") {
          return ErrorAt(f.v.at, absl::StrCat("a session busy_period Goal supports only "
                                              "duration, not ",
                                              f.name));
        }
      }
      const PField* d = FindField(v, "duration");
      if (d == nullptr) return ErrorAt(v.at, "a session busy_period Goal needs a duration");
      return Value::String(absl::StrCat("const(", FormatTime(d->v.d), ")"), d->v.at);
    }
    return LowerRecord(v, {});
  }

  absl::StatusOr<Value> LowerRecord(const PValue& record, const std::set<std::string>& skip) {
    Value dict = Value::Dict(record.at);
    for (const PglFieldSpec& spec : *PglRecordFields(record.s)) {
      if (skip.count(spec.name) > 0) continue;
      const PField* f = FindField(record, spec.name);
      if (f == nullptr) continue;
      absl::StatusOr<Value> v = LowerValue(f->v, ParseTypeText(spec.type));
      if (!v.ok()) return v.status();
      dict.Insert(spec.name, *std::move(v));
    }
    return dict;
  }

  absl::StatusOr<PglWorkload> Lower() {
    PglWorkload out;
    out.doc = Value::Dict(Location{tokens_.front().at.file, 0, 0});
    if (!used_.empty()) {
      Value clients = Value::Array(used_.front().second);
      int64_t users = 0;
      std::vector<std::pair<int64_t, Location>> shares;
      for (auto& [robot, use_at] : used_) {
        for (const std::optional<PValue>* global : {&wss_length_, &wss_cap_}) {
          const char* field = global == &wss_length_ ? "working_set_length" : "working_set_cap";
          if (*global && FindField(robot, field) == nullptr) {
            robot.fields.push_back(PField{field, **global});
          }
        }
        const PField* count = FindField(robot, "count");
        const PField* weight = FindField(robot, "weight");
        int64_t share = 1;
        if (options_.with_config) {
          if (count != nullptr) {
            return ErrorAt(count->v.at,
                           "count fixes the number of users of a PGL-only run; with --config the "
                           "users come from its arrival: give weight (this robot's share of "
                           "them, as in clients.plist)");
          }
          if (weight != nullptr) share = weight->v.i;
        } else {
          if (weight != nullptr) {
            return ErrorAt(weight->v.at,
                           "weight shares the users of a --config run among client types; a "
                           "PGL-only run has no other client types: give count (the number of "
                           "users running this robot)");
          }
          if (count != nullptr) share = count->v.i;
        }
        const PField* named = options_.with_config ? weight : count;
        const Location share_at = named != nullptr ? named->v.at : robot.at;
        if (share < 1 || share > kMaxCount) {
          return ErrorAt(share_at, absl::StrCat(options_.with_config ? "weight" : "count",
                                                " must be from 1 to ", kMaxCount, ", got ", share));
        }
        users += share;
        if (users > kMaxCount) {
          return ErrorAt(share_at, absl::StrCat("more than ", kMaxCount, " users in all"));
        }
        shares.emplace_back(share, share_at);
      }
      // A PGL-only run has exactly sum(count) users, and user n runs client type n mod
      // sum(weight) by weight: counts divided by their common divisor keep every robot's user
      // count exact while interleaving the types (10 + 10 users: weights 1 and 1).
      int64_t divisor = 0;
      for (const auto& share : shares) divisor = std::gcd(divisor, share.first);
      if (options_.with_config) divisor = 1;
      for (size_t i = 0; i < used_.size(); ++i) {
        const PValue& robot = used_[i].first;
        Value client = Value::Dict(robot.at);
        client.Insert("software", Value::String("Robot", robot.at));
        client.Insert("weight", Value::Integer(shares[i].first / divisor, shares[i].second));
        absl::StatusOr<Value> params = LowerRecord(robot, {"count", "weight"});
        if (!params.ok()) return params.status();
        client.Insert("params", *std::move(params));
        clients.Append(std::move(client));
      }
      out.robots = static_cast<int>(used_.size());
      out.doc.Insert("clients", std::move(clients));
      if (!options_.with_config) {
        const Location at = used_.front().second;
        Value arrival = Value::Dict(at);
        arrival.Insert("factory", Value::String("SmoothRampUp", at));
        Value params = Value::Dict(at);
        params.Insert("groups", Value::Integer(1, at));
        params.Insert("groupSize", Value::Integer(users, at));
        params.Insert("interval", Value::Integer(0, at));
        arrival.Insert("params", std::move(params));
        out.doc.Insert("arrival", std::move(arrival));
      }
    }
    if (schedule_) {
      Value phases = Value::Array(schedule_at_);
      for (const PValue& phase : *schedule_) {
        absl::StatusOr<Value> p = LowerRecord(phase, {});
        if (!p.ok()) return p.status();
        phases.Append(*std::move(p));
      }
      out.phases = static_cast<int>(schedule_->size());
      out.doc.Insert("phases", std::move(phases));
    }
    for (const auto& [name, var] : vars_) {
      if (var.type.array || !var.value) continue;
      if (var.type.base == "Robot" && !Used(*var.value, used_)) {
        out.warnings.push_back(absl::StrCat(var.declared.ToString(), ": warning: robot '", name,
                                            "' is never passed to use(), so it does not run"));
      }
      if (var.type.base == "Phase" && !Scheduled(*var.value)) {
        out.warnings.push_back(absl::StrCat(var.declared.ToString(), ": warning: phase '", name,
                                            "' is not in schedule(), so it does not run"));
      }
    }
    return out;
  }

  static bool SameOrigin(const PValue& a, const PValue& b) {
    return a.at.file == b.at.file && a.at.line == b.at.line && a.at.column == b.at.column;
  }
  static bool Used(const PValue& robot, const std::vector<std::pair<PValue, Location>>& used) {
    for (const auto& u : used) {
      if (SameOrigin(u.first, robot)) return true;
    }
    return false;
  }
  bool Scheduled(const PValue& phase) const {
    if (!schedule_) return false;
    for (const PValue& p : *schedule_) {
      if (SameOrigin(p, phase)) return true;
    }
    return false;
  }

  std::vector<PglToken> tokens_;
  const PglOptions& options_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t work_ = 0;
  std::map<std::string, Var> vars_;
  std::vector<std::pair<PValue, Location>> used_;  // robot copies and where use() was called
  std::optional<std::vector<PValue>> schedule_;
  Location schedule_at_;
  std::optional<PValue> wss_length_, wss_cap_;
};

absl::StatusOr<PglWorkload> Evaluate(absl::StatusOr<std::vector<PglToken>> tokens,
                                     const PglOptions& options) {
  if (!tokens.ok()) return tokens.status();
  Evaluator evaluator(*std::move(tokens), options);
  return evaluator.Run();
}

}  // namespace

absl::StatusOr<PglWorkload> EvaluatePglFile(const std::string& path, const PglOptions& options) {
  const PglFileReader reader = options.read_file ? options.read_file : DiskFileReader();
  return Evaluate(LexPglFile(path, reader), options);
}

absl::StatusOr<PglWorkload> EvaluatePgl(absl::string_view text, const std::string& file_name,
                                        const PglOptions& options) {
  const PglFileReader reader = options.read_file ? options.read_file : DiskFileReader();
  return Evaluate(LexPgl(text, file_name, reader), options);
}

}  // namespace loadsim
