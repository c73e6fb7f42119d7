// Http1ResponseParser: an incremental HTTP/1.x response parser (RFC 9112) for Http1Pool.
//
// It is fed the bytes of one response in pieces of any size, straight from the connection's
// read buffer, and reports "need more", "complete" (with the number of bytes of this piece
// that belonged to the response) or "error". It handles the status line (HTTP/1.0 or 1.1),
// header fields (optionally stored with lower-cased names), interim 1xx responses (skipped),
// and bodies framed by Content-Length, by chunked transfer coding (extensions and trailers
// are accepted and ignored) or by the connection closing (FinishAtEof). HEAD responses, 204
// and 304 have no body. Bytes after the end of a response are never consumed.
//
// Field values are checked (no CTL but HTAB) only where they are used: framing fields
// (Content-Length, Transfer-Encoding, Connection) and stored ones; other values are skipped
// unexamined, which keeps the common case to a scan of each field name.
//
// Nothing is allocated per response unless the caller asks for the body or the headers: a
// line split across two pieces is copied into a scratch string whose capacity is kept across
// responses. The header section (status line included) is limited to kMaxHeaderBytes, and so
// is each chunk-size line and the trailer section.
//
// One parser per connection; not thread-safe.
#ifndef LOADSIM_WORKER_HTTP1_PARSER_H_
#define LOADSIM_WORKER_HTTP1_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace loadsim {

class Http1ResponseParser {
 public:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;

  enum class Status { kNeedMore, kComplete, kError };
  struct Result {
    Status status;
    // Bytes of the piece that were used: all of them for kNeedMore, up to the end of the
    // response for kComplete, up to the offending byte for kError.
    size_t consumed;
  };
  enum class HeaderMode {
    kAll,             // store every header field of the final response
    kChallengesOnly,  // store only WWW-Authenticate (the auth layer always needs it)
    kNone,
  };

  static constexpr size_t kMaxHeaderBytes = 64 * 1024;

  Http1ResponseParser() { Reset(false); }

  // Prepares for the next response. `head_request`: the response has no body whatever its
  // headers say. `body` (may be null) receives the body bytes; `headers` (may be null) the
  // header fields selected by `mode`, names lower-cased, values without surrounding
  // whitespace (it is cleared when a response starts, so interim 1xx fields do not stay).
  void Reset(bool head_request, std::string* body = nullptr, HeaderList* headers = nullptr,
             HeaderMode mode = HeaderMode::kAll);

  // Parses the next `n` bytes of the response. After kComplete or kError, further calls
  // return the same status and consume nothing until Reset.
  Result Feed(const char* data, size_t n);
  Result Feed(absl::string_view data) { return Feed(data.data(), data.size()); }

  // The connection reached EOF. Returns true if that completed the response (a body
  // delimited by the connection closing); false means the response was cut short (or was
  // already complete or failed before).
  bool FinishAtEof();

  bool complete() const { return phase_ == Phase::kDone; }
  bool failed() const { return phase_ == Phase::kError; }
  // At least one byte of a response was fed since Reset.
  bool started() const { return started_; }
  // Status code of the final response (0 until its status line was parsed).
  int status() const { return status_; }
  // 0 for HTTP/1.0, 1 for HTTP/1.1.
  int minor_version() const { return minor_version_; }
  // After kComplete: the connection may carry another request (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with "Connection: keep-alive"; never after a body
  // delimited by closing or a message with suspicious framing).
  bool keep_alive() const { return keep_alive_; }
  // Body bytes received (after removing chunked framing), stored or not.
  uint64_t body_bytes() const { return body_bytes_; }
  // Why parsing failed (a static string), or "".
  const char* error() const { return error_; }

 private:
  enum class Phase : uint8_t {
    kStatusLine,
    kHeaderLines,
    kBodyLength,
    kBodyClose,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError,
  };

  // Takes the next complete line (without its CRLF or LF) from [*p, end). A partial line is
  // kept in line_ and false returned (also on error: then phase_ is kError).
  bool NextLine(const char** p, const char* end, absl::string_view* line);
  void Fail(const char* why);
  void StartResponse();
  void OnStatusLine(absl::string_view line);
  void OnHeaderLine(absl::string_view line);
  void OnHeadersDone();
  void OnChunkSizeLine(absl::string_view line);
  void OnTrailerLine(absl::string_view line);
  void Emit(const char* p, size_t n);

  // Per response (Reset).
  bool head_request_ = false;
  std::string* body_ = nullptr;
  HeaderList* headers_ = nullptr;
  HeaderMode mode_ = HeaderMode::kAll;
  bool started_ = false;

  // Per status line (interim responses restart these).
  Phase phase_ = Phase::kStatusLine;
  int status_ = 0;
  int minor_version_ = 1;
  bool keep_alive_ = false;
  bool conn_close_ = false;       // Connection: close
  bool conn_keep_alive_ = false;  // Connection: keep-alive
  bool has_length_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;              // chunked is the final transfer coding
  bool last_header_stored_ = false;   // target of an obs-fold continuation line
  bool last_header_framing_ = false;  // a continuation of a framing field is refused
  bool have_header_ = false;          // a continuation line needs a field before it
  bool saw_chunk_cr_ = false;
  uint64_t length_ = 0;  // Content-Length, or bytes left of the body / chunk
  uint64_t body_bytes_ = 0;
  size_t section_bytes_ = 0;  // bytes of the current header section or chunk line
  const char* error_ = "";

  std::string line_;        // a line split across pieces
  bool line_used_ = false;  // line_ was handed out and must be cleared before the next one
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_HTTP1_PARSER_H_
