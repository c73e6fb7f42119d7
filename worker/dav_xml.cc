#include "worker/dav_xml.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace loadsim {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "http://", "https://" (any case): the length of the scheme and "://", else 0.
size_t HttpSchemeLength(absl::string_view s) {
  if (absl::StartsWithIgnoreCase(s, "http://")) return 7;
  if (absl::StartsWithIgnoreCase(s, "https://")) return 8;
  return 0;
}

// The part of an absolute URL after scheme and authority ("/" if empty).
absl::string_view PathOfUrl(absl::string_view url, size_t scheme_len) {
  absl::string_view rest = url.substr(scheme_len);
  size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return "/";
  return rest.substr(slash);
}

}  // namespace

std::string CanonicalNamespace(absl::string_view uri) {
  return std::string(CanonicalNamespaceView(uri));
}

absl::string_view CanonicalNamespaceView(absl::string_view uri) {
  absl::string_view u = absl::StripAsciiWhitespace(uri);
  if (u == kDavNs) return kDavNs;
  absl::string_view bare = u;
  while (!bare.empty() && (bare.back() == ':' || bare.back() == '/')) bare.remove_suffix(1);
  if (bare == "urn:ietf:params:xml:ns:caldav" || bare == "urn:ietf:params:xml:ns:carldav") {
    return kCaldavNs;
  }
  if (bare == "http://calendarserver.org/ns") return kCalendarServerNs;
  if (bare == "http://apple.com/ns/ical") return kAppleIcalNs;
  if (bare == "urn:ietf:params:xml:ns:carddav") return kCarddavNs;
  if (bare == "http://me.com/_namespace") return kMeNs;
  return u;
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t done = 0;  // text[0, done) is in out
  for (size_t i = text.find('%'); i != absl::string_view::npos; i = text.find('%', i + 1)) {
    if (i + 2 >= text.size()) break;
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) continue;
    out.append(text.data() + done, i - done);
    out.push_back(static_cast<char>(hi * 16 + lo));
    done = i + 3;
    i += 2;
  }
  out.append(text.data() + done, text.size() - done);
  return out;
}

std::string NormalizeHref(absl::string_view href) {
  absl::string_view h = absl::StripAsciiWhitespace(href);
  if (size_t n = HttpSchemeLength(h); n > 0) return PercentDecode(PathOfUrl(h, n));
  if (absl::StartsWith(h, "/")) return PercentDecode(h);
  // Xandikos percent-encodes whole URLs: "http%3A//host/path".
  if (absl::StartsWithIgnoreCase(h, "http%3a") || absl::StartsWithIgnoreCase(h, "https%3a")) {
    std::string decoded = PercentDecode(h);
    if (size_t n = HttpSchemeLength(decoded); n > 0) {
      return std::string(PathOfUrl(decoded, n));
    }
    return decoded;
  }
  return std::string(h);
}

std::string InternalHref(absl::string_view href) {
  absl::string_view h = absl::StripAsciiWhitespace(href);
  if (size_t n = HttpSchemeLength(h); n > 0) return PercentDecode(PathOfUrl(h, n));
  return std::string(h);
}

bool SameHref(absl::string_view a, absl::string_view b) {
  std::string x = InternalHref(a);
  std::string y = InternalHref(b);
  absl::string_view xs = x;
  absl::string_view ys = y;
  if (xs.size() > 1) absl::ConsumeSuffix(&xs, "/");
  if (ys.size() > 1) absl::ConsumeSuffix(&ys, "/");
  return xs == ys;
}

std::string EncodeHrefPath(absl::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool keep = absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
                c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
                c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@' || c == '/';
    if (keep) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string CollectionOf(absl::string_view href) {
  size_t slash = href.rfind('/');
  if (slash == absl::string_view::npos) return "";
  return std::string(href.substr(0, slash + 1));
}

std::string WithTrailingSlash(absl::string_view path) {
  std::string out(path);
  while (out.size() > 1 && out.back() == '/' && out[out.size() - 2] == '/') out.pop_back();
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

}  // namespace loadsim
