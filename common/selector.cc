#include "common/selector.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/units.h"

namespace loadsim {
namespace {

// Sums within this of 100% count as exactly 100%.
constexpr double kEpsilon = 1e-9;

std::string Percent(double p) { return absl::StrFormat("%.6g%%", p * 100); }

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

// One item or group as written, before normalisation.
struct Node {
  const Value* at = nullptr;
  std::string path;
  std::optional<double> probability;  // explicit, as a fraction
  std::string value;                  // leaf
  bool group = false;
  std::vector<Node> children;  // group
};

class Reader {
 public:
  explicit Reader(Diagnostics* diags) : diags_(diags) {}

  // A list's items; false after an error.
  bool ReadList(const Value& array, absl::string_view path, std::vector<Node>* out) {
    if (array.size() == 0) {
      diags_->Error(array.location(), path, "empty selector: give at least one item");
      return false;
    }
    bool ok = true;
    for (size_t i = 0; i < array.size(); ++i) {
      Node node;
      if (ReadItem(array.items()[i], absl::StrCat(path, "[", i, "]"), &node)) {
        out->push_back(std::move(node));
      } else {
        ok = false;
      }
    }
    return ok;
  }

  bool ReadItem(const Value& v, const std::string& path, Node* node) {
    node->at = &v;
    node->path = path;
    switch (v.type()) {
      case Value::Type::kString:
        return ReadString(v, path, node);
      case Value::Type::kArray:
        node->group = true;
        return ReadList(v, path, &node->children);
      case Value::Type::kDict:
        return ReadDict(v, path, node);
      default:
        diags_->Error(v.location(), path,
                      absl::StrCat("a selector item must be a string, a dict {value, "
                                   "probability} or a group, got ",
                                   v.type_name()));
        return false;
    }
  }

 private:
  bool ReadString(const Value& v, const std::string& path, Node* node) {
    const absl::string_view text = v.string_value();
    absl::string_view item = text;
    // "item : P" (whitespace both sides of the colon) or "item:P%": never splits "h:8080/x".
    const size_t colon = text.rfind(':');
    if (colon != absl::string_view::npos) {
      const absl::string_view after = absl::StripAsciiWhitespace(text.substr(colon + 1));
      const bool spaced = colon > 0 && IsSpace(text[colon - 1]) && colon + 1 < text.size() &&
                          IsSpace(text[colon + 1]);
      const bool percent = !after.empty() && after.back() == '%';
      if (spaced || percent) {
        item = text.substr(0, colon);
        std::optional<double> p = Probability(v, path, after);
        if (!p) return false;
        node->probability = p;
      }
    }
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      diags_->Error(v.location(), path, "empty selector item");
      return false;
    }
    node->value = std::string(item);
    return true;
  }

  bool ReadDict(const Value& v, const std::string& path, Node* node) {
    const Value* value = v.Find("value");
    const Value* items = v.Find("items");
    const Value* probability = v.Find("probability");
    for (size_t i = 0; i < v.keys().size(); ++i) {
      const std::string& key = v.keys()[i];
      if (key != "value" && key != "items" && key != "probability") {
        diags_->Warning(v.items()[i].location(), absl::StrCat(path, ".", key),
                        "unknown key ignored (a selector item has value or items, and "
                        "probability)");
      }
    }
    if ((value == nullptr) == (items == nullptr)) {
      diags_->Error(v.location(), path,
                    "a selector dict needs exactly one of 'value' (an item) or 'items' (a "
                    "group)");
      return false;
    }
    bool ok = true;
    if (probability != nullptr) {
      const std::string ppath = absl::StrCat(path, ".probability");
      std::optional<double> p;
      if (probability->is_number()) {
        p = CheckRange(*probability, ppath, probability->number_value());
      } else if (probability->is(Value::Type::kString)) {
        p = Probability(*probability, ppath, probability->string_value());
      } else {
        diags_->Error(
            probability->location(), ppath,
            absl::StrCat("must be a number or a percentage, got ", probability->type_name()));
      }
      if (p) {
        node->probability = p;
      } else {
        ok = false;
      }
    }
    if (items != nullptr) {
      node->group = true;
      const std::string ipath = absl::StrCat(path, ".items");
      if (!items->is(Value::Type::kArray)) {
        diags_->Error(items->location(), ipath,
                      absl::StrCat("must be an array, got ", items->type_name()));
        return false;
      }
      return ReadList(*items, ipath, &node->children) && ok;
    }
    const std::string vpath = absl::StrCat(path, ".value");
    if (!value->is(Value::Type::kString)) {
      diags_->Error(value->location(), vpath,
                    absl::StrCat("must be a string, got ", value->type_name()));
      return false;
    }
    if (value->string_value().empty()) {
      diags_->Error(value->location(), vpath, "empty selector item");
      return false;
    }
    node->value = value->string_value();
    return ok;
  }

  std::optional<double> Probability(const Value& at, const std::string& path,
                                    absl::string_view text) {
    absl::StatusOr<double> p = ParseRatio(text);
    if (!p.ok()) {
      diags_->Error(at.location(), path, absl::StrCat("bad probability: ", p.status().message()));
      return std::nullopt;
    }
    return CheckRange(at, path, *p);
  }

  std::optional<double> CheckRange(const Value& at, const std::string& path, double p) {
    if (!std::isfinite(p) || p < 0 || p > 1) {
      diags_->Error(at.location(), path,
                    absl::StrCat("probability ", Percent(p),
                                 " is out of range; it must be from 0% to 100% (0 to 1)"));
      return std::nullopt;
    }
    return p;
  }

  Diagnostics* const diags_;
};

// Each node's actual share within its list (Polygraph's rules with the fixes above).
std::vector<double> Normalise(const std::vector<Node>& nodes, const Value& at,
                              absl::string_view path, Diagnostics* diags) {
  const size_t n = nodes.size();
  size_t k = 0;
  double sum = 0;
  for (const Node& node : nodes) {
    if (node.probability) {
      ++k;
      sum += *node.probability;
    }
  }
  std::vector<double> share(n, 0.0);
  if (k == 0) {  // rule 1
    share.assign(n, 1.0 / static_cast<double>(n));
    return share;
  }
  const size_t wild = n - k;
  if (wild > 0) {
    if (sum > 1 + kEpsilon) {  // rule 4
      diags->Warning(at.location(), path,
                     absl::StrCat("explicit probabilities sum to ", Percent(sum),
                                  "; scaled down to 100%, and the ", wild,
                                  " item(s) without a probability get 0%"));
      for (size_t i = 0; i < n; ++i) {
        if (nodes[i].probability) share[i] = *nodes[i].probability / sum;
      }
      return share;
    }
    // Rules 2 and 8: the wild cards share what is left, never less than nothing.
    const double rest = std::max(0.0, 1.0 - sum);
    if (rest <= kEpsilon) {
      diags->Warning(at.location(), path,
                     absl::StrCat("explicit probabilities sum to 100%; the ", wild,
                                  " item(s) without a probability get 0%"));
    }
    for (size_t i = 0; i < n; ++i) {
      share[i] =
          nodes[i].probability ? *nodes[i].probability : (rest <= kEpsilon ? 0.0 : rest / wild);
    }
    // Exactly 1 despite rounding in the explicit values.
    double total = 0;
    for (double s : share) total += s;
    for (double& s : share) s /= total;
    return share;
  }
  if (sum == 0) {  // rule 3, degenerate
    diags->Warning(at.location(), path, "every probability is 0%; items are chosen uniformly");
    share.assign(n, 1.0 / static_cast<double>(n));
    return share;
  }
  if (std::fabs(sum - 1) > kEpsilon) {  // rules 3 and 4 (and 5 without its tolerance)
    diags->Warning(at.location(), path,
                   absl::StrCat("probabilities sum to ", Percent(sum), "; scaled to 100%"));
  }
  for (size_t i = 0; i < n; ++i) share[i] = *nodes[i].probability / sum;
  return share;
}

// Appends the leaves under `nodes` with their probability times `scale` (rule 6).
void Flatten(const std::vector<Node>& nodes, const Value& at, absl::string_view path, double scale,
             Diagnostics* diags, v1::Selector* out) {
  const std::vector<double> share = Normalise(nodes, at, path, diags);
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    if (node.group) {
      Flatten(node.children, *node.at, node.path, scale * share[i], diags, out);
    } else {
      v1::Selector::Item* item = out->add_items();
      item->set_value(node.value);
      item->set_probability(scale * share[i]);
    }
  }
}

}  // namespace

std::optional<v1::Selector> SelectorFromValue(const Value& value, absl::string_view key_path,
                                              Diagnostics* diags) {
  Reader reader(diags);
  std::vector<Node> nodes;
  bool ok;
  if (value.is(Value::Type::kArray)) {
    ok = reader.ReadList(value, key_path, &nodes);
  } else if (value.is(Value::Type::kString) || value.is(Value::Type::kDict)) {
    Node node;
    ok = reader.ReadItem(value, std::string(key_path), &node);
    if (ok) nodes.push_back(std::move(node));
  } else {
    diags->Error(value.location(), key_path,
                 absl::StrCat("expected a selector (an array of items such as \"a : 30%\", or "
                              "one string), got ",
                              value.type_name()));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  v1::Selector selector;
  Flatten(nodes, value, key_path, 1.0, diags, &selector);
  return selector;
}

std::string FormatSelector(const v1::Selector& selector) {
  std::vector<std::string> parts;
  for (const v1::Selector::Item& item : selector.items()) {
    parts.push_back(absl::StrCat(item.value(), " : ", Percent(item.probability())));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

absl::StatusOr<SelectorSampler> SelectorSampler::Create(const v1::Selector& selector) {
  if (selector.items_size() == 0) return absl::InvalidArgumentError("empty selector");
  std::vector<std::string> values;
  std::vector<double> weights;
  for (const v1::Selector::Item& item : selector.items()) {
    values.push_back(item.value());
    weights.push_back(item.probability());
  }
  absl::StatusOr<WeightedChoice> choice = WeightedChoice::Create(weights);
  if (!choice.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("selector probabilities: ", choice.status().message()));
  }
  return SelectorSampler(std::move(values), *std::move(choice));
}

size_t SelectorSampler::Pick(RandomStream& rng) const { return choice_.Pick(rng); }

const std::string& SelectorSampler::PickValue(RandomStream& rng) const {
  return values_[choice_.Pick(rng)];
}

}  // namespace loadsim
