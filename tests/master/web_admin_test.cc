// WebAdmin against a real HTTP client (libcurl) on a loopback port: the page, the token, the
// stop button, /metrics (a strict exposition-format check here, and Prometheus's own
// `promtool check metrics` when it is installed: PROMTOOL=<path> or promtool on PATH) and
// /api/status.
#include "master/web_admin.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/histogram.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace loadsim {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct HttpResult {
  long status = 0;  // 0: no answer (curl_error says why)
  std::string body;
  std::string content_type;
  std::string curl_error;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET `url`, or POST `form` (application/x-www-form-urlencoded) when it is given.
HttpResult Fetch(const std::string& url, const std::string* form = nullptr) {
  HttpResult r;
  CURL* curl = curl_easy_init();
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (form != nullptr) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form->c_str());
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) r.content_type = type;
  } else {
    r.curl_error = error;
  }
  curl_easy_cleanup(curl);
  return r;
}

HttpResult Post(const std::string& url, const std::string& form) { return Fetch(url, &form); }

// `n` samples of `ms` milliseconds, the first `failed` failed.
v1::LabelStats Stats(const std::string& label, int n, uint64_t ms, int failed = 0) {
  LabelRecorder r(label);
  for (int i = 0; i < n; ++i) r.Record(ms * 1000 + i, i >= failed, i < failed ? "500" : "");
  return r.ToProto();
}

// A snapshot 12 s into a run: 3 intervals of 5 s (the last one partial), two phases, two
// workers (one lost), labels including a scheduling line and one that needs escaping.
v1::Results Snapshot() {
  v1::Results r;
  r.mutable_run()->set_ran_seconds(12);
  *r.add_labels() = Stats("GET{event}", 40, 20, 2);
  *r.add_labels() = Stats("PUT{event}", 25, 300);
  *r.add_labels() = Stats("lag{robot}", 100, 1);
  *r.add_labels() = Stats("odd\"label\\with\nnewline", 3, 5);
  v1::IntervalResults* i0 = r.add_intervals();
  i0->set_index(0);
  i0->set_start_seconds(0);
  i0->set_end_seconds(5);
  i0->set_users_alive(10);
  *i0->add_labels() = Stats("GET{event}", 10, 20);
  for (int phase = 0; phase < 2; ++phase) {  // interval 1 spans the phase change
    v1::IntervalResults* i1 = r.add_intervals();
    i1->set_index(1);
    i1->set_start_seconds(5);
    i1->set_end_seconds(10);
    i1->set_phase_index(phase);
    i1->set_users_alive(20 + phase);
    *i1->add_labels() = Stats("GET{event}", 10, 20, phase);
    *i1->add_labels() = Stats("lag{robot}", 50, 1);
  }
  *r.mutable_intervals(2)->add_labels() = Stats("PUT{event}", 5, 300);
  v1::IntervalResults* i2 = r.add_intervals();
  i2->set_index(2);
  i2->set_start_seconds(10);
  i2->set_end_seconds(15);
  i2->set_phase_index(1);
  i2->set_users_alive(25);
  *i2->add_labels() = Stats("GET{event}", 20, 20, 1);
  v1::PhaseResults* p0 = r.add_phases();
  p0->set_index(0);
  p0->set_name("warm");
  v1::PhaseResults* p1 = r.add_phases();
  p1->set_index(1);
  p1->set_name("plateau");
  v1::WorkerResults* w0 = r.add_workers();
  w0->set_index(0);
  w0->set_host("127.0.0.1");
  w0->set_users(12);
  v1::WorkerResults* w1 = r.add_workers();
  w1->set_index(1);
  w1->set_lost(true);
  return r;
}

constexpr char kToken[] = "s3cr3t-token";
constexpr char kReport[] = "** REPORT **\nPUT{event} <fast> & \"ok\"\n*** PASS\n";

class WebAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebAdminSources sources;
    sources.report_text = [] { return std::string(kReport); };
    sources.results = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return results_;
    };
    sources.stop = [this] { ++stops_; };
    WebAdminOptions options;
    options.port = 0;
    options.token = kToken;
    results_ = Snapshot();
    absl::StatusOr<std::unique_ptr<WebAdmin>> admin = WebAdmin::Start(sources, options);
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = *std::move(admin);
  }

  void SetResults(v1::Results r) {
    std::lock_guard<std::mutex> lock(mu_);
    results_ = std::move(r);
  }

  std::string Url(absl::string_view path = "") const { return absl::StrCat(admin_->url(), path); }

  std::mutex mu_;
  v1::Results results_;
  std::atomic<int> stops_{0};
  std::unique_ptr<WebAdmin> admin_;
};

constexpr char kEscapedReport[] =
    "<pre>** REPORT **\nPUT{event} &lt;fast&gt; &amp; &quot;ok&quot;\n*** PASS\n</pre>";
constexpr char kForm[] =
    "<form method=\"post\" action=\"/\">\n"
    "<input type=\"hidden\" name=\"token\" value=\"s3cr3t-token\">\n"
    "<input type=\"submit\" name=\"results\" value=\"Refresh\">\n"
    "<input type=\"submit\" name=\"stop\" value=\"Stop Sim\">\n"
    "</form>";

TEST_F(WebAdminTest, BindsLoopbackByDefault) {
  EXPECT_THAT(admin_->url(), StartsWith("http://127.0.0.1:"));
  EXPECT_GT(admin_->port(), 0);
  EXPECT_EQ(admin_->token(), kToken);
}

TEST_F(WebAdminTest, PageHasFormReportAndTiming) {
  HttpResult r = Fetch(Url());
  ASSERT_EQ(r.status, 200) << r.curl_error;
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("<title>Load Simulator Web Admin</title>"));
  EXPECT_THAT(r.body, HasSubstr(kForm));
  EXPECT_THAT(r.body, HasSubstr(kEscapedReport));
  EXPECT_THAT(r.body, ContainsRegex("<p>Generated in [0-9]+\\.[0-9] milliseconds</p>"));
  EXPECT_THAT(r.body, Not(HasSubstr("http-equiv=\"refresh\"")));
  EXPECT_EQ(stops_, 0);
}

TEST_F(WebAdminTest, RefreshOption) {
  EXPECT_THAT(Fetch(Url("?refresh=5")).body,
              HasSubstr("<meta http-equiv=\"refresh\" content=\"5\">"));
  EXPECT_THAT(Fetch(Url("?refresh=3600")).body, HasSubstr("content=\"3600\""));
  for (const char* bad : {"0", "-1", "3601", "abc", "5s", ""}) {
    EXPECT_THAT(Fetch(Url(absl::StrCat("?refresh=", bad))).body,
                Not(HasSubstr("http-equiv=\"refresh\"")))
        << bad;
  }
}

TEST_F(WebAdminTest, PostWithoutTheTokenGetsTheFormOnly) {
  for (const std::string& form :
       {std::string("results=Refresh"), std::string("token=wrong&results=Refresh"),
        std::string("token=&stop=Stop+Sim"), std::string("token=s3cr3t-tokeN&stop=Stop+Sim"),
        std::string("token=s3cr3t-token-and-more&stop=Stop+Sim")}) {
    HttpResult r = Post(Url(), form);
    EXPECT_EQ(r.status, 403) << form;
    EXPECT_THAT(r.body, HasSubstr(kForm)) << form;
    EXPECT_THAT(r.body, Not(HasSubstr("<pre>"))) << form;
    EXPECT_THAT(r.body, Not(HasSubstr("Generated in"))) << form;
  }
  EXPECT_EQ(stops_, 0);
  EXPECT_FALSE(admin_->stop_requested());
}

TEST_F(WebAdminTest, PostResultsWithTheTokenIsThePage) {
  HttpResult r = Post(Url(), "token=s3cr3t-token&results=Refresh");
  ASSERT_EQ(r.status, 200) << r.curl_error;
  EXPECT_THAT(r.body, HasSubstr(kForm));
  EXPECT_THAT(r.body, HasSubstr(kEscapedReport));
  EXPECT_THAT(r.body, HasSubstr("Generated in"));
  EXPECT_EQ(stops_, 0);
}

TEST_F(WebAdminTest, StopCallsStopExactlyOnce) {
  // Several clients press Stop at once, then once more.
  std::vector<std::thread> clients;
  std::atomic<int> stopped_pages{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      HttpResult r = Post(Url(), "token=s3cr3t-token&stop=Stop+Sim");
      if (r.status == 200 && r.body.find("<h1>LoadSim Stopped - Final Results</h1>") !=
                                 std::string::npos) {
        ++stopped_pages;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(stopped_pages, 4);
  HttpResult again = Post(Url(), "token=s3cr3t-token&stop=Stop+Sim");
  EXPECT_EQ(again.status, 200);
  EXPECT_THAT(again.body, HasSubstr(kEscapedReport));
  EXPECT_THAT(again.body, Not(HasSubstr("<form")));
  EXPECT_EQ(stops_, 1);
  EXPECT_TRUE(admin_->stop_requested());
  nlohmann::json status = nlohmann::json::parse(Fetch(Url("api/status")).body);
  EXPECT_EQ(status["state"], "stopping");
}

TEST_F(WebAdminTest, UnknownPathIs404) {
  HttpResult r = Fetch(Url("nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("no page /nope"));
}

// ---- /metrics ----

struct Series {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Reads a label value after its opening quote; only \\, \" and \n escapes are allowed.
bool ReadLabelValue(absl::string_view* in, std::string* out) {
  while (!in->empty()) {
    char c = in->front();
    in->remove_prefix(1);
    if (c == '"') return true;
    if (c == '\n') return false;
    if (c == '\\') {
      if (in->empty()) return false;
      char e = in->front();
      in->remove_prefix(1);
      if (e == '\\') {
        *out += '\\';
      } else if (e == '"') {
        *out += '"';
      } else if (e == 'n') {
        *out += '\n';
      } else {
        return false;
      }
    } else {
      *out += c;
    }
  }
  return false;
}

bool ParseValue(absl::string_view text, double* v) {
  if (text == "NaN" || text == "+Inf" || text == "-Inf") return true;
  static const std::regex kFloat("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(text.begin(), text.end(), kFloat)) return false;
  *v = std::stod(std::string(text));
  return true;
}

// A strict reading of text format 0.0.4: HELP/TYPE once per family, before its samples,
// families contiguous, valid names, label escapes and values, counters ending in _total,
// summary quantiles in [0, 1], no duplicate series. Adds a failure per problem.
void CheckExpositionInto(const std::string& text, std::vector<Series>* out) {
  EXPECT_TRUE(!text.empty() && text.back() == '\n') << "must end with a newline";
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  std::map<std::string, std::string> types;
  std::set<std::string> helps, finished_families, series_keys;
  std::string current;
  // Splitting on '\n' is safe: a newline inside a label value is written as \n.
  for (absl::string_view line : absl::StrSplit(absl::StripSuffix(text, "\n"), '\n')) {
    SCOPED_TRACE(std::string(line));
    ASSERT_FALSE(line.empty()) << "empty line";
    if (absl::ConsumePrefix(&line, "# ")) {
      std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
      ASSERT_EQ(parts.size(), 3u);
      ASSERT_TRUE(std::regex_match(parts[1], kName));
      if (parts[1] != current) {
        ASSERT_EQ(finished_families.count(parts[1]), 0u) << "family split: " << parts[1];
        if (!current.empty()) finished_families.insert(current);
        current = parts[1];
      }
      if (parts[0] == "HELP") {
        ASSERT_TRUE(helps.insert(parts[1]).second) << "second HELP";
      } else {
        ASSERT_EQ(parts[0], "TYPE");
        ASSERT_TRUE(types.emplace(parts[1], parts[2]).second) << "second TYPE";
        ASSERT_THAT(parts[2], testing::AnyOf("counter", "gauge", "summary", "histogram",
                                             "untyped"));
        if (parts[2] == "counter") {
          EXPECT_THAT(parts[1], testing::EndsWith("_total"));
        }
      }
      continue;
    }
    ASSERT_NE(line.front(), '#');
    Series s;
    size_t name_end = line.find_first_of("{ ");
    ASSERT_NE(name_end, absl::string_view::npos);
    s.name = std::string(line.substr(0, name_end));
    ASSERT_TRUE(std::regex_match(s.name, kName));
    line.remove_prefix(name_end);
    if (absl::ConsumePrefix(&line, "{")) {
      while (!absl::ConsumePrefix(&line, "}")) {
        size_t eq = line.find("=\"");
        ASSERT_NE(eq, absl::string_view::npos);
        std::string label(line.substr(0, eq));
        ASSERT_TRUE(std::regex_match(label, kLabelName)) << label;
        line.remove_prefix(eq + 2);
        std::string value;
        ASSERT_TRUE(ReadLabelValue(&line, &value)) << "bad label value";
        ASSERT_TRUE(s.labels.emplace(label, value).second) << "duplicate label " << label;
        if (!absl::ConsumePrefix(&line, ",")) {
          ASSERT_TRUE(absl::StartsWith(line, "}")) << "expected , or }";
        }
      }
    }
    ASSERT_TRUE(absl::ConsumePrefix(&line, " "));
    ASSERT_TRUE(ParseValue(line, &s.value)) << "bad value";
    std::string family = s.name;
    const std::string& type = types.count(current) ? types[current] : "";
    if (type == "summary" || type == "histogram") {
      for (const char* suffix : {"_sum", "_count", "_bucket"}) {
        if (absl::EndsWith(s.name, suffix) && s.name != current) {
          family = s.name.substr(0, s.name.size() - strlen(suffix));
        }
      }
    }
    ASSERT_EQ(family, current) << "sample outside its family or before its TYPE";
    if (type == "summary" && s.name == current) {
      ASSERT_EQ(s.labels.count("quantile"), 1u);
      double q = std::stod(s.labels["quantile"]);
      EXPECT_TRUE(q >= 0 && q <= 1);
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) absl::StrAppend(&key, "|", k, "=", v);
    EXPECT_TRUE(series_keys.insert(key).second) << "duplicate series";
    out->push_back(std::move(s));
  }
}

std::vector<Series> CheckExposition(const std::string& text) {
  std::vector<Series> out;
  CheckExpositionInto(text, &out);
  return out;
}

const Series* Find(const std::vector<Series>& all, const std::string& name,
                   std::map<std::string, std::string> labels = {}) {
  for (const Series& s : all) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

double Value(const std::vector<Series>& all, const std::string& name,
             std::map<std::string, std::string> labels = {}) {
  const Series* s = Find(all, name, labels);
  EXPECT_NE(s, nullptr) << name;
  return s == nullptr ? NAN : s->value;
}

TEST(CheckExpositionTest, RejectsBadInput) {
  // The checker itself must be able to fail.
  for (const char* bad :
       {"x 1",                                               // no newline at the end
        "# TYPE a counter\na 1\n",                           // counter without _total
        "a_total{l=\"v\\q\"} 1\n",                           // bad escape
        "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n",   // family split
        "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n",            // duplicate label
        "# TYPE a gauge\na one\n",                           // bad value
        "# TYPE a summary\na 1\n"}) {                        // summary without quantile
    ::testing::TestPartResultArray failures;
    {
      ::testing::ScopedFakeTestPartResultReporter reporter(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD,
          &failures);
      CheckExposition(bad);
    }
    EXPECT_GT(failures.size(), 0) << bad;
  }
}

TEST_F(WebAdminTest, MetricsInExpositionFormat) {
  HttpResult r = Fetch(Url("metrics"));
  ASSERT_EQ(r.status, 200) << r.curl_error;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  std::vector<Series> all = CheckExposition(r.body);
  ASSERT_FALSE(HasFailure()) << r.body;

  EXPECT_EQ(Value(all, "loadsim_requests_total", {{"label", "GET{event}"}}), 40);
  EXPECT_EQ(Value(all, "loadsim_request_failures_total", {{"label", "GET{event}"}}), 2);
  EXPECT_EQ(Value(all, "loadsim_requests_total", {{"label", "PUT{event}"}}), 25);
  // The label with a quote, a backslash and a newline reads back as written.
  EXPECT_EQ(Value(all, "loadsim_requests_total", {{"label", "odd\"label\\with\nnewline"}}), 3);
  EXPECT_THAT(r.body, HasSubstr("{label=\"odd\\\"label\\\\with\\nnewline\"}"));
  // Scheduling lines are not requests.
  EXPECT_EQ(Find(all, "loadsim_requests_total", {{"label", "lag{robot}"}}), nullptr);
  EXPECT_EQ(Value(all, "loadsim_scheduling_delay_seconds_count", {{"label", "lag{robot}"}}), 100);

  const double p99 = Value(all, "loadsim_request_duration_seconds",
                           {{"label", "PUT{event}"}, {"quantile", "0.99"}});
  EXPECT_NEAR(p99, 0.300, 0.300 / 64);
  EXPECT_NEAR(Value(all, "loadsim_request_duration_seconds",
                    {{"label", "GET{event}"}, {"quantile", "0.5"}}),
              0.020, 0.020 / 64);
  EXPECT_EQ(Value(all, "loadsim_request_duration_seconds_count", {{"label", "PUT{event}"}}), 25);
  // 25 samples of 300 ms + i us (i = 0..24): 7.5 s + 300 us.
  EXPECT_DOUBLE_EQ(Value(all, "loadsim_request_duration_seconds_sum", {{"label", "PUT{event}"}}),
                   7.5003);
  for (const char* q : {"0.5", "0.9", "0.99", "0.999"}) {
    EXPECT_NE(Find(all, "loadsim_request_duration_seconds", {{"label", "GET{event}"}, {"quantile", q}}),
              nullptr)
        << q;
  }

  EXPECT_EQ(Value(all, "loadsim_users_alive"), 25);
  EXPECT_EQ(Value(all, "loadsim_workers_alive"), 1);
  EXPECT_EQ(Value(all, "loadsim_workers"), 2);
  EXPECT_EQ(Value(all, "loadsim_run_elapsed_seconds"), 12);
  EXPECT_EQ(Value(all, "loadsim_phase", {{"name", "plateau"}}), 1);
  EXPECT_EQ(Value(all, "loadsim_run_finished"), 0);
  EXPECT_EQ(Find(all, "loadsim_verdict_pass"), nullptr);  // not judged yet

  v1::Results judged = Snapshot();
  judged.mutable_verdict()->set_pass(false);
  judged.mutable_verdict()->add_failures("Greater than 1% GET{event} failed");
  judged.mutable_run()->set_end_reason("runtime expired");
  SetResults(judged);
  all = CheckExposition(Fetch(Url("metrics")).body);
  EXPECT_EQ(Value(all, "loadsim_verdict_pass"), 0);
  EXPECT_EQ(Value(all, "loadsim_run_finished"), 1);
}

// The promtool binary: $PROMTOOL, else promtool on PATH; empty if there is none.
std::string Promtool() {
  if (const char* env = getenv("PROMTOOL"); env != nullptr && access(env, X_OK) == 0) return env;
  const char* path = getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "" : path, ':')) {
    std::string candidate = absl::StrCat(dir, "/promtool");
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

TEST_F(WebAdminTest, MetricsPassPromtoolCheck) {
  const std::string promtool = Promtool();
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus); the strict check in "
                    "MetricsInExpositionFormat still ran";
  }
  HttpResult r = Fetch(Url("metrics"));
  ASSERT_EQ(r.status, 200);
  const std::string file = absl::StrCat(::testing::TempDir(), "/loadsim_metrics_", getpid());
  FILE* f = fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fwrite(r.body.data(), 1, r.body.size(), f);
  fclose(f);
  FILE* p = popen(absl::StrCat(promtool, " check metrics < ", file, " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) output += buf;
  const int status = pclose(p);
  EXPECT_EQ(status, 0) << output << "\n" << r.body;
  EXPECT_EQ(output, "") << "lint findings";
  remove(file.c_str());
}

// ---- /api/status ----

TEST_F(WebAdminTest, ApiStatus) {
  HttpResult r = Fetch(Url("api/status"));
  ASSERT_EQ(r.status, 200) << r.curl_error;
  EXPECT_EQ(r.content_type, "application/json");
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["elapsed_seconds"], 12);
  EXPECT_EQ(j["phase"]["index"], 1);
  EXPECT_EQ(j["phase"]["name"], "plateau");
  EXPECT_EQ(j["users_alive"], 25);
  // The last complete interval is [5, 10): both of its rows, scheduling lines left out.
  EXPECT_EQ(j["interval"]["index"], 1);
  EXPECT_EQ(j["interval"]["requests"], 25);
  EXPECT_EQ(j["interval"]["failures"], 1);
  EXPECT_DOUBLE_EQ(j["interval"]["requests_per_second"].get<double>(), 5.0);
  EXPECT_EQ(j["totals"]["requests"], 68);
  EXPECT_EQ(j["totals"]["failures"], 2);
  ASSERT_EQ(j["labels"].size(), 3u);
  EXPECT_EQ(j["labels"][0]["label"], "GET{event}");
  EXPECT_EQ(j["labels"][0]["count"], 40);
  EXPECT_EQ(j["labels"][0]["failures"], 2);
  EXPECT_NEAR(j["labels"][1]["p99_ms"].get<double>(), 300, 300.0 / 64);
  EXPECT_NEAR(j["labels"][1]["p50_ms"].get<double>(), 300, 300.0 / 64);
  EXPECT_DOUBLE_EQ(j["labels"][1]["max_ms"].get<double>(), 300.024);
  EXPECT_EQ(j["workers"]["alive"], 1);
  EXPECT_EQ(j["workers"]["total"], 2);
  EXPECT_EQ(j["workers"]["list"][1]["lost"], true);
  EXPECT_TRUE(j["verdict"].is_null());

  v1::Results done = Snapshot();
  done.mutable_run()->set_end_reason("runtime expired");
  done.mutable_verdict()->set_pass(false);
  done.mutable_verdict()->add_rules()->set_kind("rule");
  done.mutable_verdict()->add_failures("PUT{event} p99 0.3 s is not < 0.1 s (rule t.json:3)");
  SetResults(done);
  j = nlohmann::json::parse(Fetch(Url("api/status")).body);
  EXPECT_EQ(j["state"], "finished");
  EXPECT_EQ(j["verdict"]["pass"], false);
  EXPECT_EQ(j["verdict"]["failures"][0], "PUT{event} p99 0.3 s is not < 0.1 s (rule t.json:3)");
}

TEST_F(WebAdminTest, ApiStatusBeforeTheFirstInterval) {
  SetResults(v1::Results());
  nlohmann::json j = nlohmann::json::parse(Fetch(Url("api/status")).body);
  EXPECT_TRUE(j["interval"].is_null());
  EXPECT_EQ(j["totals"]["requests"], 0);
  EXPECT_EQ(j["labels"].size(), 0u);
  EXPECT_EQ(j["phase"]["name"], "");
  CheckExposition(Fetch(Url("metrics")).body);
  EXPECT_FALSE(HasFailure());
}

// ---- lifecycle ----

TEST_F(WebAdminTest, ShutdownStopsServing) {
  const std::string url = Url();
  ASSERT_EQ(Fetch(url).status, 200);
  admin_->Shutdown();
  admin_->Shutdown();  // idempotent
  HttpResult r = Fetch(url);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.curl_error.empty());
}

TEST_F(WebAdminTest, PortInUseIsAnError) {
  WebAdminSources sources{[] { return std::string(); }, [] { return v1::Results(); }, [] {}};
  WebAdminOptions options;
  options.port = admin_->port();
  absl::StatusOr<std::unique_ptr<WebAdmin>> second = WebAdmin::Start(sources, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr(absl::StrCat("cannot listen on 127.0.0.1 port ", admin_->port())));
}

TEST(WebAdminStartTest, CallbacksAreRequired) {
  WebAdminSources sources{[] { return std::string(); }, nullptr, [] {}};
  WebAdminOptions options;
  options.port = 0;
  absl::StatusOr<std::unique_ptr<WebAdmin>> admin = WebAdmin::Start(sources, options);
  EXPECT_EQ(admin.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(WebAdminStartTest, BadAddressIsAnError) {
  WebAdminSources sources{[] { return std::string(); }, [] { return v1::Results(); }, [] {}};
  WebAdminOptions options;
  options.port = 0;
  options.bind_address = "192.0.2.1";  // TEST-NET-1: not an address of this machine
  absl::StatusOr<std::unique_ptr<WebAdmin>> admin = WebAdmin::Start(sources, options);
  EXPECT_EQ(admin.status().code(), absl::StatusCode::kUnavailable);
}

TEST(WebAdminStartTest, RandomTokenWhenNoneIsGiven) {
  WebAdminSources sources{[] { return std::string(); }, [] { return v1::Results(); }, [] {}};
  WebAdminOptions options;
  options.port = 0;
  absl::StatusOr<std::unique_ptr<WebAdmin>> a = WebAdmin::Start(sources, options);
  absl::StatusOr<std::unique_ptr<WebAdmin>> b = WebAdmin::Start(sources, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT((*a)->token(), testing::MatchesRegex("[0-9a-f]{32}"));
  EXPECT_NE((*a)->token(), (*b)->token());
  EXPECT_THAT(Fetch((*a)->url()).body, HasSubstr((*a)->token()));
}

}  // namespace
}  // namespace loadsim
