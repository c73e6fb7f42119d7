#include "worker/http1_parser.h"

#include <algorithm>
#include <cstring>

#include "absl/base/attributes.h"

namespace loadsim {
namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
struct CharTables {
  bool token[256] = {};
  bool bad_value[256] = {};  // CTLs other than HTAB (field values, reasons, extensions)
  int8_t hex[256] = {};
  constexpr CharTables() {
    for (int c = 0; c < 256; ++c) {
      hex[c] = -1;
      bad_value[c] = (c < 0x20 && c != '\t') || c == 0x7f;
    }
    for (int c = '0'; c <= '9'; ++c) {
      token[c] = true;
      hex[c] = static_cast<int8_t>(c - '0');
    }
    for (int c = 'a'; c <= 'z'; ++c) token[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) token[c] = true;
    for (int c = 'a'; c <= 'f'; ++c) hex[c] = static_cast<int8_t>(c - 'a' + 10);
    for (int c = 'A'; c <= 'F'; ++c) hex[c] = static_cast<int8_t>(c - 'A' + 10);
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
      token[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr CharTables kChars;

inline unsigned char U(char c) { return static_cast<unsigned char>(c); }

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kChars.token[U(c)]) return false;
  }
  return true;
}

// No CTL but HTAB. Eight bytes at a time: the word tests find whether any byte is below
// 0x20 or equal to 0x7f (never missing one; HTAB also trips them, so a flagged word is
// checked byte by byte).
inline bool ValueCharsOk(absl::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (kChars.bad_value[U(p[i])]) return false;
    }
    return true;
  }
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  // Whole words; the last one overlaps the one before it unless n is a multiple of 8.
  for (size_t off = 0;; off += 8) {
    if (off + 8 > n) off = n - 8;
    uint64_t x;
    std::memcpy(&x, p + off, 8);
    uint64_t del = x ^ (kOnes * 0x7f);
    uint64_t suspect = ((x - kOnes * 0x20) & ~x & kHighs) | ((del - kOnes) & ~del & kHighs);
    if (suspect != 0) {
      for (size_t i = off; i < off + 8; ++i) {
        if (kChars.bad_value[U(p[i])]) return false;
      }
    }
    if (off + 8 == n) return true;
  }
}

// Where `c` first is in `s`, or npos.
inline size_t Find(absl::string_view s, char c) {
  const void* hit = s.empty() ? nullptr : std::memchr(s.data(), c, s.size());
  return hit == nullptr ? absl::string_view::npos
                        : static_cast<size_t>(static_cast<const char*>(hit) - s.data());
}

// Case-insensitive equality with `lower`, made of lower-case letters and '-'. Setting bit
// 0x20 maps 'A'-'Z' onto 'a'-'z'; the only other bytes it maps onto those are CTLs, which
// never reach here (names are tokens, values were checked).
template <size_t N>
inline bool EqualsLower(absl::string_view s, const char (&lower)[N]) {
  if (s.size() != N - 1) return false;
  for (size_t i = 0; i + 1 < N; ++i) {
    if ((s[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

// Optional whitespace (SP / HTAB) removed from both ends.
inline absl::string_view TrimOws(absl::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// Calls fn(element) for each comma-separated, whitespace-trimmed, non-empty list element
// (RFC 9110 5.6.1). Stops and returns false when fn does.
template <typename Fn>
bool ForEachListElement(absl::string_view value, Fn fn) {
  while (true) {
    size_t comma = Find(value, ',');
    absl::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == absl::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// Content-Length values beyond this are refused (no real body is that large, and the sum
// cannot overflow).
constexpr uint64_t kMaxLength = uint64_t{1} << 60;

}  // namespace

void Http1ResponseParser::Reset(bool head_request, std::string* body, HeaderList* headers,
                                HeaderMode mode) {
  head_request_ = head_request;
  body_ = body;
  headers_ = headers;
  mode_ = mode;
  started_ = false;
  body_bytes_ = 0;
  error_ = "";
  saw_chunk_cr_ = false;
  line_.clear();
  line_used_ = false;
  StartResponse();
}

void Http1ResponseParser::StartResponse() {
  phase_ = Phase::kStatusLine;
  status_ = 0;
  minor_version_ = 1;
  keep_alive_ = false;
  conn_close_ = false;
  conn_keep_alive_ = false;
  has_length_ = false;
  has_transfer_encoding_ = false;
  chunked_ = false;
  last_header_stored_ = false;
  last_header_framing_ = false;
  have_header_ = false;
  length_ = 0;
  section_bytes_ = 0;
  if (headers_ != nullptr) headers_->clear();
}

void Http1ResponseParser::Fail(const char* why) {
  phase_ = Phase::kError;
  error_ = why;
  keep_alive_ = false;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Http1ResponseParser::NextLine(const char** pp,
                                                                       const char* end,
                                                                       absl::string_view* line) {
  if (line_used_) {
    line_.clear();
    line_used_ = false;
  }
  const char* p = *pp;
  size_t avail = static_cast<size_t>(end - p);
  const char* nl = avail == 0 ? nullptr : static_cast<const char*>(std::memchr(p, '\n', avail));
  size_t len = nl == nullptr ? avail : static_cast<size_t>(nl - p);
  // A complete line also counts its LF.
  if (section_bytes_ + line_.size() + len + (nl != nullptr) > kMaxHeaderBytes) {
    switch (phase_) {
      case Phase::kChunkSize:
        Fail("chunk size line too long");
        break;
      case Phase::kTrailers:
        Fail("trailer section too large");
        break;
      default:
        Fail("header section too large");
        break;
    }
    return false;
  }
  if (nl == nullptr) {
    line_.append(p, avail);
    *pp = end;
    return false;
  }
  section_bytes_ += line_.size() + len + 1;
  if (line_.empty()) {
    *line = absl::string_view(p, len);
  } else {
    line_.append(p, len);
    *line = line_;
    line_used_ = true;
  }
  *pp = nl + 1;
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return true;
}

Http1ResponseParser::Result Http1ResponseParser::Feed(const char* data, size_t n) {
  if (phase_ == Phase::kDone) return {Status::kComplete, 0};
  if (phase_ == Phase::kError) return {Status::kError, 0};
  if (n > 0) started_ = true;
  const char* p = data;
  const char* const end = data + n;
  auto at = [&] { return static_cast<size_t>(p - data); };
  while (true) {
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaderLines:
      case Phase::kChunkSize:
      case Phase::kTrailers: {
        absl::string_view line;
        if (!NextLine(&p, end, &line)) {
          if (phase_ == Phase::kError) return {Status::kError, at()};
          return {Status::kNeedMore, n};
        }
        switch (phase_) {
          case Phase::kStatusLine:
            OnStatusLine(line);
            break;
          case Phase::kHeaderLines:
            OnHeaderLine(line);
            break;
          case Phase::kChunkSize:
            OnChunkSizeLine(line);
            break;
          default:
            OnTrailerLine(line);
            break;
        }
        break;
      }
      case Phase::kBodyLength:
      case Phase::kChunkData: {
        size_t avail = static_cast<size_t>(end - p);
        if (avail == 0) return {Status::kNeedMore, n};
        size_t take = static_cast<size_t>(std::min<uint64_t>(avail, length_));
        Emit(p, take);
        p += take;
        length_ -= take;
        if (length_ == 0) {
          if (phase_ == Phase::kBodyLength) {
            phase_ = Phase::kDone;
          } else {
            phase_ = Phase::kChunkDataEnd;
            saw_chunk_cr_ = false;
          }
        }
        break;
      }
      case Phase::kBodyClose:
        Emit(p, static_cast<size_t>(end - p));
        return {Status::kNeedMore, n};
      case Phase::kChunkDataEnd: {
        if (p == end) return {Status::kNeedMore, n};
        if (*p == '\r' && !saw_chunk_cr_) {
          saw_chunk_cr_ = true;
          ++p;
        } else if (*p == '\n') {
          ++p;
          phase_ = Phase::kChunkSize;
          section_bytes_ = 0;
        } else {
          Fail("chunk data not followed by CRLF");
        }
        break;
      }
      case Phase::kDone:
        return {Status::kComplete, at()};
      case Phase::kError:
        return {Status::kError, at()};
    }
  }
}

bool Http1ResponseParser::FinishAtEof() {
  if (phase_ != Phase::kBodyClose) return false;
  phase_ = Phase::kDone;
  keep_alive_ = false;
  return true;
}

void Http1ResponseParser::Emit(const char* p, size_t n) {
  body_bytes_ += n;
  if (body_ != nullptr && n > 0) body_->append(p, n);
}

void Http1ResponseParser::OnStatusLine(absl::string_view line) {
  // Robustness: empty lines before a status line (a server's stray CRLF) are skipped.
  if (line.empty()) return;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]; the SP before an empty
  // reason is often left out, so it is optional here.
  if (line.size() < 12 || std::memcmp(line.data(), "HTTP/1.", 7) != 0 || line[7] < '0' ||
      line[7] > '9' || line[8] != ' ') {
    Fail("malformed status line");
    return;
  }
  int code = 0;
  for (int i = 9; i < 12; ++i) {
    char c = line[i];
    if (c < '0' || c > '9') {
      Fail("malformed status code");
      return;
    }
    code = code * 10 + (c - '0');
  }
  if (code < 100) {
    Fail("malformed status code");
    return;
  }
  if (line.size() > 12 && (line[12] != ' ' || !ValueCharsOk(line.substr(13)))) {
    Fail("malformed status line");
    return;
  }
  status_ = code;
  minor_version_ = line[7] == '0' ? 0 : 1;
  phase_ = Phase::kHeaderLines;
}

void Http1ResponseParser::OnHeaderLine(absl::string_view line) {
  if (line.empty()) {
    OnHeadersDone();
    return;
  }
  if (line[0] == ' ' || line[0] == '\t') {
    // obs-fold (RFC 9112 5.2): a user agent replaces it with a space.
    if (!have_header_) {
      Fail("continuation line before the first header field");
      return;
    }
    if (last_header_framing_) {
      Fail("folded framing header field");
      return;
    }
    if (!last_header_stored_) return;  // the field is not used
    absl::string_view more = TrimOws(line);
    if (!ValueCharsOk(more)) {
      Fail("invalid character in a header field");
      return;
    }
    if (!more.empty()) {
      std::string& value = headers_->back().second;
      if (!value.empty()) value.push_back(' ');
      value.append(more.data(), more.size());
    }
    return;
  }
  // field-name ":" OWS field-value OWS: the name is scanned for token characters up to the
  // first other one, which must be the colon. The scan needs no bound: a line is always
  // followed by a byte that is not a token character (its CR or LF in the piece, or the NUL
  // after line_'s contents).
  const size_t n = line.size();
  const char* const d = line.data();
  size_t colon = 0;
  while (kChars.token[U(d[colon])]) ++colon;
  if (colon >= n || line[colon] != ':' || colon == 0) {
    Fail(colon < n && colon > 0 && line[colon] != ':' ? "malformed header field name"
                                                      : "malformed header line");
    return;
  }
  absl::string_view name(line.data(), colon);
  enum class Kind { kOther, kConnection, kContentLength, kTransferEncoding, kChallenge };
  Kind kind = Kind::kOther;
  switch (colon) {
    case 10:
      if (EqualsLower(name, "connection")) kind = Kind::kConnection;
      break;
    case 14:
      if (EqualsLower(name, "content-length")) kind = Kind::kContentLength;
      break;
    case 16:
      if (EqualsLower(name, "www-authenticate")) kind = Kind::kChallenge;
      break;
    case 17:
      if (EqualsLower(name, "transfer-encoding")) kind = Kind::kTransferEncoding;
      break;
    default:
      break;
  }
  have_header_ = true;
  last_header_framing_ =
      kind == Kind::kConnection || kind == Kind::kContentLength || kind == Kind::kTransferEncoding;
  last_header_stored_ =
      headers_ != nullptr && (mode_ == HeaderMode::kAll ||
                              (mode_ == HeaderMode::kChallengesOnly && kind == Kind::kChallenge));
  // The value of a field that is neither stored nor used is not examined (nothing is done
  // with it, so a bad byte there harms nothing): the common case costs only the name scan.
  if (!last_header_framing_ && !last_header_stored_) return;
  absl::string_view rest(line.data() + colon + 1, n - colon - 1);
  if (!ValueCharsOk(rest)) {
    Fail("invalid character in a header field");
    return;
  }
  absl::string_view value = TrimOws(rest);
  switch (kind) {
    case Kind::kConnection:
      ForEachListElement(value, [this](absl::string_view option) {
        if (EqualsLower(option, "close")) conn_close_ = true;
        if (EqualsLower(option, "keep-alive")) conn_keep_alive_ = true;
        return true;
      });
      break;
    case Kind::kContentLength: {
      // A list of identical values is accepted (RFC 9110 8.6); anything else is an
      // unrecoverable framing error.
      bool any = false;
      bool ok = ForEachListElement(value, [this, &any](absl::string_view digits) {
        uint64_t v = 0;
        for (char c : digits) {
          if (c < '0' || c > '9') return false;
          v = v * 10 + static_cast<uint64_t>(c - '0');
          if (v > kMaxLength) return false;
        }
        if (has_length_ && v != length_) return false;
        has_length_ = true;
        length_ = v;
        any = true;
        return true;
      });
      if (!ok || !any) {
        Fail("invalid Content-Length");
        return;
      }
      break;
    }
    case Kind::kTransferEncoding: {
      has_transfer_encoding_ = true;
      bool ok = ForEachListElement(value, [this](absl::string_view coding) {
        absl::string_view coding_name = TrimOws(coding.substr(0, Find(coding, ';')));
        bool is_chunked = EqualsLower(coding_name, "chunked");
        if (is_chunked && chunked_) return false;  // chunked applied twice
        // Only a final chunked frames the body; a coding after it means "until close".
        chunked_ = is_chunked;
        return true;
      });
      if (!ok) {
        Fail("invalid Transfer-Encoding");
        return;
      }
      break;
    }
    default:
      break;
  }
  if (last_header_stored_) {
    std::string lower(name.data(), name.size());
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    headers_->emplace_back(std::move(lower), std::string(value.data(), value.size()));
  }
}

void Http1ResponseParser::OnHeadersDone() {
  if (status_ < 200) {
    if (status_ == 101) {
      Fail("unexpected 101 Switching Protocols");
      return;
    }
    StartResponse();  // an interim response: the real one follows
    return;
  }
  keep_alive_ = minor_version_ >= 1 ? !conn_close_ : conn_keep_alive_ && !conn_close_;
  if (head_request_ || status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
    return;
  }
  if (has_transfer_encoding_) {
    // Transfer-Encoding overrides Content-Length, but both together (or Transfer-Encoding
    // in HTTP/1.0) is suspicious framing: the connection is not reused (RFC 9112 6.1, 6.3).
    if (has_length_ || minor_version_ == 0) keep_alive_ = false;
    if (chunked_) {
      phase_ = Phase::kChunkSize;
      section_bytes_ = 0;
      length_ = 0;
    } else {
      phase_ = Phase::kBodyClose;
      keep_alive_ = false;
    }
    return;
  }
  if (has_length_) {
    phase_ = length_ == 0 ? Phase::kDone : Phase::kBodyLength;
    return;
  }
  phase_ = Phase::kBodyClose;
  keep_alive_ = false;
}

void Http1ResponseParser::OnChunkSizeLine(absl::string_view line) {
  // chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
  size_t i = 0;
  uint64_t size = 0;
  while (i < line.size() && kChars.hex[U(line[i])] >= 0) {
    if (size > (kMaxLength >> 4)) {
      Fail("chunk size too large");
      return;
    }
    size = size * 16 + static_cast<uint64_t>(kChars.hex[U(line[i])]);
    ++i;
  }
  if (i == 0) {
    Fail("invalid chunk size");
    return;
  }
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i < line.size() && (line[i] != ';' || !ValueCharsOk(line.substr(i)))) {
    Fail("invalid chunk size");
    return;
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    section_bytes_ = 0;
    have_header_ = false;
    return;
  }
  length_ = size;
  phase_ = Phase::kChunkData;
}

void Http1ResponseParser::OnTrailerLine(absl::string_view line) {
  if (line.empty()) {
    phase_ = Phase::kDone;
    return;
  }
  // Trailer fields are checked for syntax and dropped.
  if (line[0] == ' ' || line[0] == '\t') {
    if (!have_header_ || !ValueCharsOk(line)) Fail("malformed trailer field");
    return;
  }
  size_t colon = Find(line, ':');
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon)) ||
      !ValueCharsOk(line.substr(colon + 1))) {
    Fail("malformed trailer field");
    return;
  }
  have_header_ = true;
}

}  // namespace loadsim
