#include "worker/http1_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace loadsim {
namespace {

using Status = Http1ResponseParser::Status;
using HeaderList = Http1ResponseParser::HeaderList;

// What parsing one response gave.
struct Parsed {
  Status status = Status::kNeedMore;
  size_t consumed = 0;  // bytes of the input that belonged to the response
  int code = 0;
  bool keep_alive = false;
  std::string body;
  uint64_t body_bytes = 0;
  HeaderList headers;
  std::string error;
};

// Feeds `input` in pieces of `piece` bytes (0: all at once); `eof` reports the connection
// closing after the last byte.
Parsed Parse(const std::string& input, size_t piece = 0, bool head = false, bool eof = false,
             Http1ResponseParser::HeaderMode mode = Http1ResponseParser::HeaderMode::kAll) {
  Parsed out;
  Http1ResponseParser parser;
  parser.Reset(head, &out.body, &out.headers, mode);
  size_t step = piece == 0 ? input.size() : piece;
  size_t off = 0;
  while (off < input.size()) {
    size_t n = std::min(step, input.size() - off);
    Http1ResponseParser::Result r = parser.Feed(input.data() + off, n);
    out.status = r.status;
    EXPECT_LE(r.consumed, n);
    if (r.status == Status::kNeedMore) {
      EXPECT_EQ(r.consumed, n);
    }
    out.consumed += r.consumed;
    if (r.status != Status::kNeedMore) break;
    off += n;
  }
  if (out.status == Status::kNeedMore && eof && parser.FinishAtEof()) {
    out.status = Status::kComplete;
  }
  out.code = parser.status();
  out.keep_alive = parser.keep_alive();
  out.body_bytes = parser.body_bytes();
  out.error = parser.error();
  return out;
}

const char kChunked[] =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "5;name=value;flag\r\nhello\r\n"
    "1 ; ext=\"quoted\"\r\n,\r\n"
    "6\r\n world\r\n"
    "0;last\r\n"
    "Expires: never\r\n"
    "X-Checksum: abc\r\n"
    "\r\n";

TEST(Http1ParserTest, ContentLength) {
  std::string in =
      "HTTP/1.1 200 OK\r\nServer: test\r\nContent-Length: 5\r\nX-Many:  a  b \r\n\r\nhello";
  Parsed p = Parse(in);
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.consumed, in.size());
  EXPECT_EQ(p.code, 200);
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(p.body, "hello");
  EXPECT_EQ(p.body_bytes, 5u);
  HeaderList want = {{"server", "test"}, {"content-length", "5"}, {"x-many", "a  b"}};
  EXPECT_EQ(p.headers, want);
}

TEST(Http1ParserTest, BodyIsCountedButNotStoredWithoutABuffer) {
  Http1ResponseParser parser;
  parser.Reset(false);
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  EXPECT_EQ(parser.Feed(in).status, Status::kComplete);
  EXPECT_EQ(parser.body_bytes(), 3u);
}

TEST(Http1ParserTest, ChunkedWithExtensionsAndTrailers) {
  Parsed p = Parse(kChunked);
  EXPECT_EQ(p.status, Status::kComplete) << p.error;
  EXPECT_EQ(p.consumed, sizeof(kChunked) - 1);
  EXPECT_EQ(p.body, "hello, world");
  EXPECT_EQ(p.body_bytes, 12u);
  EXPECT_TRUE(p.keep_alive);
  // Trailers are not header fields of the response.
  HeaderList want = {{"transfer-encoding", "chunked"}, {"content-type", "text/plain"}};
  EXPECT_EQ(p.headers, want);
}

TEST(Http1ParserTest, ChunkedWithBareLineFeedsAndUpperCaseHex) {
  Parsed p = Parse("HTTP/1.1 200 OK\nTransfer-Encoding: Chunked\n\nA\n0123456789\n0\n\n");
  EXPECT_EQ(p.status, Status::kComplete) << p.error;
  EXPECT_EQ(p.body, "0123456789");
}

TEST(Http1ParserTest, CloseDelimitedBodyEndsAtEof) {
  std::string in = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
  Parsed open = Parse(in);
  EXPECT_EQ(open.status, Status::kNeedMore);
  Parsed closed = Parse(in, 0, false, true);
  EXPECT_EQ(closed.status, Status::kComplete);
  EXPECT_EQ(closed.body, "until the end");
  EXPECT_FALSE(closed.keep_alive);
}

TEST(Http1ParserTest, EofElsewhereDoesNotComplete) {
  Http1ResponseParser parser;
  parser.Reset(false);
  EXPECT_FALSE(parser.started());
  EXPECT_FALSE(parser.FinishAtEof());
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  EXPECT_EQ(parser.Feed(in).status, Status::kNeedMore);
  EXPECT_TRUE(parser.started());
  EXPECT_FALSE(parser.FinishAtEof());
}

TEST(Http1ParserTest, UnknownFinalTransferCodingIsCloseDelimited) {
  Parsed p =
      Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw", 0, false, true);
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.body, "raw");
  EXPECT_FALSE(p.keep_alive);
}

TEST(Http1ParserTest, TransferEncodingOverridesContentLengthAndClosesTheConnection) {
  Parsed p = Parse(
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nhi\r\n0\r\n\r\n");
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.body, "hi");
  EXPECT_FALSE(p.keep_alive);
}

TEST(Http1ParserTest, NoBodyForHead204And304) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n";
  Parsed p = Parse(head + "leftover", 0, /*head=*/true);
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.consumed, head.size());
  EXPECT_EQ(p.body_bytes, 0u);
  EXPECT_TRUE(p.keep_alive);
  for (const char* code : {"204 No Content", "304 Not Modified"}) {
    std::string in = std::string("HTTP/1.1 ") + code + "\r\nContent-Length: 7\r\n\r\n";
    Parsed q = Parse(in + "next");
    EXPECT_EQ(q.status, Status::kComplete) << code;
    EXPECT_EQ(q.consumed, in.size()) << code;
    EXPECT_EQ(q.body_bytes, 0u) << code;
  }
}

TEST(Http1ParserTest, InterimResponsesAreSkipped) {
  std::string in =
      "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  Parsed p = Parse(in);
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.consumed, in.size());
  EXPECT_EQ(p.code, 200);
  EXPECT_EQ(p.body, "ok");
  HeaderList want = {{"content-length", "2"}};
  EXPECT_EQ(p.headers, want);
}

TEST(Http1ParserTest, SwitchingProtocolsWasNotAskedFor) {
  Parsed p = Parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
  EXPECT_EQ(p.status, Status::kError);
}

TEST(Http1ParserTest, Http10KeepsAliveOnlyWhenAsked) {
  Parsed plain = Parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(plain.status, Status::kComplete);
  EXPECT_FALSE(plain.keep_alive);
  Parsed asked = Parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_TRUE(asked.keep_alive);
  Parsed closed = Parse("HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_FALSE(closed.keep_alive);
}

TEST(Http1ParserTest, EmptyReasonAndMissingSpace) {
  EXPECT_EQ(Parse("HTTP/1.1 204 \r\n\r\n").status, Status::kComplete);
  Parsed p = Parse("HTTP/1.1 204\r\n\r\n");
  EXPECT_EQ(p.status, Status::kComplete);
  EXPECT_EQ(p.code, 204);
}

TEST(Http1ParserTest, ObsoleteLineFoldingBecomesASpace) {
  Parsed p =
      Parse("HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(p.status, Status::kComplete) << p.error;
  EXPECT_EQ(p.headers[0].second, "one two three");
  EXPECT_EQ(Parse("HTTP/1.1 200 OK\r\n folded\r\n\r\n").status, Status::kError);
  EXPECT_EQ(Parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\n").status, Status::kError);
}

TEST(Http1ParserTest, HeaderModes) {
  std::string in =
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n"
      "Content-Length: 0\r\nwww-authenticate: Digest realm=\"y\"\r\n\r\n";
  Parsed challenges = Parse(in, 0, false, false, Http1ResponseParser::HeaderMode::kChallengesOnly);
  HeaderList want = {{"www-authenticate", "Basic realm=\"x\""},
                     {"www-authenticate", "Digest realm=\"y\""}};
  EXPECT_EQ(challenges.headers, want);
  EXPECT_TRUE(Parse(in, 0, false, false, Http1ResponseParser::HeaderMode::kNone).headers.empty());
}

// Every response of these tests, parsed in one piece and split at every byte boundary (and
// fed one byte at a time), gives the same result.
TEST(Http1ParserTest, SplitAtEveryByteBoundary) {
  std::vector<std::string> inputs = {
      kChunked,
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\n"
      "Content-Length: 3\r\n\r\nnop",
      "HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    Parsed whole = Parse(in);
    ASSERT_EQ(whole.status, Status::kComplete) << in;
    EXPECT_EQ(Parse(in, 1).body, whole.body);
    for (size_t cut = 1; cut < in.size(); ++cut) {
      Parsed out;
      Http1ResponseParser parser;
      parser.Reset(false, &out.body, &out.headers);
      Http1ResponseParser::Result a = parser.Feed(in.data(), cut);
      ASSERT_EQ(a.status, Status::kNeedMore) << "cut " << cut;
      ASSERT_EQ(a.consumed, cut);
      Http1ResponseParser::Result b = parser.Feed(in.data() + cut, in.size() - cut);
      ASSERT_EQ(b.status, Status::kComplete) << "cut " << cut << ": " << parser.error();
      EXPECT_EQ(b.consumed, in.size() - cut);
      EXPECT_EQ(out.body, whole.body) << "cut " << cut;
      EXPECT_EQ(out.headers, whole.headers) << "cut " << cut;
      EXPECT_EQ(parser.status(), whole.code);
      EXPECT_EQ(parser.keep_alive(), whole.keep_alive);
    }
  }
}

TEST(Http1ParserTest, MalformedStatusLines) {
  for (const char* bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
        "http/1.1 200 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n", "HTTP/1.1 200 O\x01K\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n"}) {
    Parsed p = Parse(bad);
    EXPECT_EQ(p.status, Status::kError) << bad;
    EXPECT_NE(p.error, "");
    Parsed bytes = Parse(bad, 1);
    EXPECT_EQ(bytes.status, Status::kError) << bad;
  }
}

TEST(Http1ParserTest, MalformedHeaders) {
  for (const char* bad : {
           "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\n\r\n",
       }) {
    EXPECT_EQ(Parse(bad).status, Status::kError) << bad;
  }
  // Only values that are used are examined.
  std::string ctl = "HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(Parse(ctl).status, Status::kError);
  EXPECT_EQ(Parse(ctl, 0, false, false, Http1ResponseParser::HeaderMode::kChallengesOnly).status,
            Status::kComplete);
  EXPECT_EQ(Parse("HTTP/1.1 200 OK\r\nConnection: a\x01\r\n\r\n", 0, false, false,
                  Http1ResponseParser::HeaderMode::kNone)
                .status,
            Status::kError);
  // Identical repeated lengths are fine.
  Parsed same = Parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(same.status, Status::kComplete) << same.error;
  EXPECT_EQ(same.body, "ab");
}

TEST(Http1ParserTest, BadChunks) {
  std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* bad : {"x\r\n", "\r\n", "5 5\r\nhello\r\n", "2\r\nabc\r\n", "2\r\nab\r\r\n",
                          "fffffffffffffffffff\r\n", "-1\r\n", "0\r\nno colon\r\n\r\n"}) {
    Parsed p = Parse(head + bad);
    EXPECT_EQ(p.status, Status::kError) << bad;
    EXPECT_EQ(Parse(head + bad, 1).status, Status::kError) << bad;
  }
}

TEST(Http1ParserTest, OversizedHeaderSection) {
  std::string big =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(Http1ResponseParser::kMaxHeaderBytes, 'a') +
      "\r\n\r\n";
  Parsed p = Parse(big);
  EXPECT_EQ(p.status, Status::kError);
  EXPECT_EQ(p.error, "header section too large");
  // In small pieces the error comes as soon as the limit is passed.
  Parsed pieces = Parse(big, 1000);
  EXPECT_EQ(pieces.status, Status::kError);
  EXPECT_LT(pieces.consumed, Http1ResponseParser::kMaxHeaderBytes + 1000);
  // Many small fields count together.
  std::string many = "HTTP/1.1 200 OK\r\n";
  while (many.size() <= Http1ResponseParser::kMaxHeaderBytes) many += "X-Field: value\r\n";
  EXPECT_EQ(Parse(many + "\r\n").status, Status::kError);
  // Just under the limit is fine.
  std::string fits = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Fit: ";
  fits += std::string(Http1ResponseParser::kMaxHeaderBytes - fits.size() - 4, 'b') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), Http1ResponseParser::kMaxHeaderBytes);
  EXPECT_EQ(Parse(fits).status, Status::kComplete);
  EXPECT_EQ(Parse(fits, 7).status, Status::kComplete);
}

TEST(Http1ParserTest, TwoResponsesBackToBackLeaveTheSecondUnconsumed) {
  std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
  std::string second =
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n";
  std::string both = first + second;
  std::string body;
  Http1ResponseParser parser;
  parser.Reset(false, &body);
  Http1ResponseParser::Result r = parser.Feed(both);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_EQ(body, "one");
  // A complete parser takes nothing more until Reset.
  EXPECT_EQ(parser.Feed(both.data() + r.consumed, second.size()).consumed, 0u);
  body.clear();
  parser.Reset(false, &body);
  r = parser.Feed(both.data() + first.size(), second.size());
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, second.size());
  EXPECT_EQ(parser.status(), 404);
  EXPECT_EQ(body, "two");
}

TEST(Http1ParserTest, ResetReusesTheParser) {
  Http1ResponseParser parser;
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  for (int i = 0; i < 3; ++i) {
    parser.Reset(false);
    // Split inside the status line so the scratch line is used.
    EXPECT_EQ(parser.Feed(in.data(), 5).status, Status::kNeedMore);
    EXPECT_EQ(parser.Feed(in.data() + 5, in.size() - 5).status, Status::kComplete);
    EXPECT_EQ(parser.body_bytes(), 2u);
  }
  parser.Reset(false);
  EXPECT_EQ(parser.Feed("garbage\r\n", 9).status, Status::kError);
  parser.Reset(false);
  EXPECT_EQ(parser.Feed(in).status, Status::kComplete);
}

}  // namespace
}  // namespace loadsim
