// libFuzzer target for the HTTP/1.x response parser (worker/http1_parser.h). The input is a
// byte stream a server might send on one connection; it is parsed response after response
// (as a keep-alive connection would), once fed whole and once in pieces of random sizes.
// Checks: no crash, no piece consumed beyond its size, "need more" consumes everything, and
// both ways of feeding give the same results (status, headers, body, framing) -- the parser
// must not depend on where reads split the stream.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

// The fuzz targets link common_lib only; the parser has no other dependency than absl.
#include "worker/http1_parser.cc"  // NOLINT(build/include)

namespace {

using loadsim::Http1ResponseParser;

struct Outcome {
  Http1ResponseParser::Status status;
  size_t consumed;  // bytes of the stream this response used (complete ones)
  int code;
  bool keep_alive;
  uint64_t body_bytes;
  std::string body;
  Http1ResponseParser::HeaderList headers;
  bool operator==(const Outcome& o) const {
    if (status != o.status) return false;
    if (status != Http1ResponseParser::Status::kComplete) return true;
    return consumed == o.consumed && code == o.code && keep_alive == o.keep_alive &&
           body_bytes == o.body_bytes && body == o.body && headers == o.headers;
  }
};

void Check(bool ok) {
  if (!ok) std::abort();
}

// Parses responses from `stream` until one fails or needs more; piece sizes come from
// `sizes` (cycled), or the whole rest at once when it is empty.
std::vector<Outcome> ParseAll(const std::string& stream, const std::vector<size_t>& sizes,
                              bool head, Http1ResponseParser::HeaderMode mode) {
  std::vector<Outcome> out;
  Http1ResponseParser parser;
  size_t off = 0;
  size_t next_size = 0;
  while (out.size() < 64) {
    Outcome o{};
    parser.Reset(head, &o.body, &o.headers, mode);
    Http1ResponseParser::Result r{Http1ResponseParser::Status::kNeedMore, 0};
    size_t start = off;
    while (off < stream.size()) {
      size_t n = stream.size() - off;
      if (!sizes.empty()) n = std::min(n, sizes[next_size++ % sizes.size()]);
      r = parser.Feed(stream.data() + off, n);
      Check(r.consumed <= n);
      if (r.status == Http1ResponseParser::Status::kNeedMore) Check(r.consumed == n);
      off += r.consumed;
      if (r.status != Http1ResponseParser::Status::kNeedMore) break;
    }
    if (r.status == Http1ResponseParser::Status::kNeedMore && parser.FinishAtEof()) {
      r.status = Http1ResponseParser::Status::kComplete;
    }
    // A finished parser takes nothing more.
    if (r.status != Http1ResponseParser::Status::kNeedMore) {
      Check(parser.Feed("HTTP/1.1 200 OK\r\n\r\n", 19).consumed == 0);
    }
    o.status = r.status;
    o.consumed = off - start;
    o.code = parser.status();
    o.keep_alive = parser.keep_alive();
    o.body_bytes = parser.body_bytes();
    if (r.status == Http1ResponseParser::Status::kComplete) {
      Check(o.code >= 200 && o.code <= 999);
      Check(o.body.size() == o.body_bytes);
      if (head) Check(o.body_bytes == 0);
      Check(o.headers.size() <= Http1ResponseParser::kMaxHeaderBytes / 2);
      for (const auto& [name, value] : o.headers) {
        Check(!name.empty());
        for (char c : name) Check(!(c >= 'A' && c <= 'Z'));
      }
    } else {
      Check(o.body.size() == o.body_bytes);
    }
    out.push_back(std::move(o));
    if (r.status != Http1ResponseParser::Status::kComplete || off >= stream.size()) break;
    if (!out.back().keep_alive) break;  // a client would close here
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool head = fdp.ConsumeBool();
  const auto mode = static_cast<Http1ResponseParser::HeaderMode>(fdp.ConsumeIntegralInRange(0, 2));
  std::vector<size_t> sizes(fdp.ConsumeIntegralInRange<size_t>(1, 8));
  for (size_t& s : sizes) s = fdp.ConsumeIntegralInRange<size_t>(1, 40);
  const std::string stream = fdp.ConsumeRemainingBytesAsString();

  std::vector<Outcome> whole = ParseAll(stream, {}, head, mode);
  std::vector<Outcome> pieces = ParseAll(stream, sizes, head, mode);
  std::vector<Outcome> bytes = ParseAll(stream, {1}, head, mode);
  Check(whole == pieces);
  Check(whole == bytes);
  return 0;
}
