// libFuzzer target for the WebDAV answer parsers (worker/multistatus.h, worker/dav_xml.h).
// The input is a server's 207 body; it is also read as DAV: header lines and as an href.
// Checks: no crash, hang or sanitizer report; a parse either succeeds or names the problem;
// every parsed response can be found again by its own href; an href survives
// encoding + normalization unchanged; DAV tokens are trimmed, unique and found by Has().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

// The fuzz targets link common_lib only; these files need nothing beyond pugixml and absl.
#include "absl/strings/str_split.h"
#include "worker/dav_xml.cc"      // NOLINT(build/include)
#include "worker/multistatus.cc"  // NOLINT(build/include)

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzMultistatus(absl::string_view body) {
  absl::StatusOr<loadsim::Multistatus> ms = loadsim::ParseMultistatus(body);
  if (!ms.ok()) {
    Check(!ms.status().message().empty());
    return;
  }
  size_t n = 0;
  for (const loadsim::MultistatusResponse& r : ms->responses) {
    Check(ms->Find(r.href) != nullptr);
    Check(loadsim::NormalizeHref(r.raw_href) == r.href);
    for (const loadsim::DavProperty& p : r.properties) {
      Check(!p.name.empty() && p.name[0] == '{');
      n += p.text.size() + p.hrefs.size();
    }
    if (r.props.supported_components) n += r.props.supported_components->size();
    n += r.props.calendar_home_set.size() + r.props.supported_reports.size();
  }
  volatile size_t sink = n;
  (void)sink;
}

void FuzzHref(absl::string_view text) {
  std::string path = "/" + std::string(text);
  std::string encoded = loadsim::EncodeHrefPath(path);
  Check(loadsim::NormalizeHref(encoded) == path);
  Check(loadsim::InternalHref(path) == path || path != absl::StripAsciiWhitespace(path));
  Check(loadsim::SameHref(loadsim::NormalizeHref(encoded), path));
  Check(loadsim::NormalizeHref(std::string("http://h") + encoded) == path);
  std::string escaped = loadsim::XmlEscape(text);
  Check(escaped.find('<') == std::string::npos);
  volatile size_t sink = loadsim::NormalizeHref(text).size() + loadsim::CollectionOf(text).size() +
                         loadsim::WithTrailingSlash(text).size() +
                         loadsim::CanonicalNamespace(text).size();
  (void)sink;
}

void FuzzDavHeader(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  loadsim::DavFeatures f = loadsim::ParseDavHeader(lines);
  for (size_t i = 0; i < f.tokens.size(); ++i) {
    const std::string& t = f.tokens[i];
    Check(!t.empty());
    Check(absl::StripAsciiWhitespace(t) == t);
    Check(f.Has(t));
    for (size_t j = 0; j < i; ++j) Check(f.tokens[j] != t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzMultistatus(text);
  FuzzHref(text);
  FuzzDavHeader(text);
  volatile int status = loadsim::ParseStatusLine(text);
  (void)status;
  return 0;
}
