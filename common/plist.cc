#include "common/plist.h"

#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "pugixml.hpp"

namespace loadsim {
namespace {

constexpr int kMaxDepth = 64;

class PlistParser {
 public:
  PlistParser(absl::string_view text, absl::string_view file) : lines_(text), file_(file) {}

  absl::StatusOr<Value> ParseDocument(const pugi::xml_document& doc) {
    pugi::xml_node root = doc.document_element();
    if (!root) return Fail(0, "", "no root element");
    if (std::strcmp(root.name(), "plist") == 0) {
      pugi::xml_node only;
      for (pugi::xml_node child : root.children()) {
        if (child.type() != pugi::node_element) {
          if (!IsBlankText(child)) return Fail(Line(child), "", "text outside of a value");
          continue;
        }
        if (only) return Fail(Line(child), "", "<plist> holds more than one value");
        only = child;
      }
      if (!only) return Fail(Line(root), "", "<plist> is empty");
      return ParseValue(only, "", 0);
    }
    return ParseValue(root, "", 0);
  }

 private:
  int Line(pugi::xml_node node) const {
    ptrdiff_t off = node.offset_debug();
    return off < 0 ? 0 : lines_.LineOf(static_cast<size_t>(off));
  }
  Location Loc(pugi::xml_node node) const { return Location{file_, Line(node)}; }

  absl::Status Fail(int line, absl::string_view path, absl::string_view message) const {
    return LocatedError(Location{file_, line}, path, message);
  }

  static bool IsBlankText(pugi::xml_node node) {
    if (node.type() == pugi::node_comment || node.type() == pugi::node_pi ||
        node.type() == pugi::node_declaration || node.type() == pugi::node_doctype) {
      return true;
    }
    if (node.type() != pugi::node_pcdata) return false;
    for (const char* p = node.value(); *p; ++p) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(*p))) return false;
    }
    return true;
  }

  // Concatenated character data of a leaf element; error if it has child elements.
  absl::StatusOr<std::string> Text(pugi::xml_node node, absl::string_view path) const {
    std::string out;
    for (pugi::xml_node child : node.children()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        out += child.value();
      } else if (child.type() == pugi::node_element) {
        return Fail(Line(child), path,
                    absl::StrCat("<", node.name(), "> may not contain <", child.name(), ">"));
      }
    }
    return out;
  }

  absl::StatusOr<Value> ParseValue(pugi::xml_node node, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      return Fail(Line(node), path, absl::StrCat("nesting deeper than ", kMaxDepth, " levels"));
    }
    absl::string_view name = node.name();
    if (name == "dict") return ParseDict(node, path, depth);
    if (name == "array") return ParseArray(node, path, depth);
    absl::StatusOr<std::string> text = Text(node, path);
    if (!text.ok()) return text.status();
    if (name == "string") return Value::String(*std::move(text), Loc(node));
    std::string trimmed(absl::StripAsciiWhitespace(*text));
    if (name == "integer") {
      int64_t v;
      if (!absl::SimpleAtoi(trimmed, &v)) {
        return Fail(Line(node), path, absl::StrCat("<integer> '", trimmed, "' is not an integer"));
      }
      return Value::Integer(v, Loc(node));
    }
    if (name == "real") {
      double v;
      if (!absl::SimpleAtod(trimmed, &v) || !std::isfinite(v)) {
        return Fail(Line(node), path, absl::StrCat("<real> '", trimmed, "' is not a finite number"));
      }
      return Value::Real(v, Loc(node));
    }
    if (name == "true" || name == "false") {
      if (!trimmed.empty()) {
        return Fail(Line(node), path, absl::StrCat("<", name, "/> must be empty"));
      }
      return Value::Bool(name == "true", Loc(node));
    }
    if (name == "date") {
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, trimmed, &t, &err)) {
        return Fail(Line(node), path,
                    absl::StrCat("<date> '", trimmed, "' is not an ISO 8601 UTC date (", err, ")"));
      }
      return Value::Date(trimmed, Loc(node));
    }
    if (name == "data") {
      std::string compact;
      for (char c : *text) {
        if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact.push_back(c);
      }
      std::string bytes;
      if (!absl::Base64Unescape(compact, &bytes)) {
        return Fail(Line(node), path, "<data> is not valid base64");
      }
      return Value::Data(std::move(bytes), Loc(node));
    }
    if (name == "key") return Fail(Line(node), path, "<key> outside of a <dict>");
    return Fail(Line(node), path, absl::StrCat("unknown plist element <", name, ">"));
  }

  absl::StatusOr<Value> ParseArray(pugi::xml_node node, const std::string& path, int depth) {
    Value array = Value::Array(Loc(node));
    size_t index = 0;
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) {
        if (!IsBlankText(child)) return Fail(Line(child), path, "text between array values");
        continue;
      }
      std::string child_path = absl::StrCat(path, "[", index, "]");
      absl::StatusOr<Value> item = ParseValue(child, child_path, depth + 1);
      if (!item.ok()) return item.status();
      array.Append(*std::move(item));
      ++index;
    }
    return array;
  }

  absl::StatusOr<Value> ParseDict(pugi::xml_node node, const std::string& path, int depth) {
    Value dict = Value::Dict(Loc(node));
    std::string pending_key;
    pugi::xml_node key_node;
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) {
        if (!IsBlankText(child)) return Fail(Line(child), path, "text between dict entries");
        continue;
      }
      if (!key_node) {
        if (std::strcmp(child.name(), "key") != 0) {
          return Fail(Line(child), path,
                      absl::StrCat("expected <key> in <dict>, found <", child.name(), ">"));
        }
        absl::StatusOr<std::string> key = Text(child, path);
        if (!key.ok()) return key.status();
        pending_key = *std::move(key);
        key_node = child;
        continue;
      }
      std::string child_path = path.empty() ? pending_key : absl::StrCat(path, ".", pending_key);
      if (std::strcmp(child.name(), "key") == 0) {
        return Fail(Line(key_node), child_path, "key has no value");
      }
      if (const Value* first = dict.Find(pending_key)) {
        return Fail(Line(key_node), child_path,
                    absl::StrCat("duplicate key (first defined at line ", first->location().line,
                                 ")"));
      }
      absl::StatusOr<Value> item = ParseValue(child, child_path, depth + 1);
      if (!item.ok()) return item.status();
      dict.Insert(pending_key, *std::move(item));
      key_node = pugi::xml_node();
    }
    if (key_node) {
      std::string child_path = path.empty() ? pending_key : absl::StrCat(path, ".", pending_key);
      return Fail(Line(key_node), child_path, "key has no value");
    }
    return dict;
  }

  LineIndex lines_;
  std::string file_;
};

}  // namespace

absl::StatusOr<Value> ParsePlist(absl::string_view text, absl::string_view file_name) {
  pugi::xml_document doc;
  pugi::xml_parse_result result =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_comments,
                      pugi::encoding_utf8);
  if (!result) {
    LineIndex lines(text);
    int line = lines.LineOf(static_cast<size_t>(result.offset < 0 ? 0 : result.offset));
    return LocatedError(Location{std::string(file_name), line}, "",
                        absl::StrCat("malformed XML: ", result.description()));
  }
  PlistParser parser(text, file_name);
  return parser.ParseDocument(doc);
}

absl::StatusOr<Value> ReadPlistFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParsePlist(*text, path);
}

}  // namespace loadsim
