#include "master/web_admin.h"

#include <sys/socket.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"
#include "master/html_report.h"

namespace loadsim {
namespace {

constexpr char kTitle[] = "Load Simulator Web Admin";
constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr int kMaxRefreshSeconds = 3600;

// CPU time of the calling thread in milliseconds.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

std::string RandomToken() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&out, "%08x", rd());
  return out;
}

// Compares in time independent of where the strings differ.
bool SameToken(absl::string_view given, absl::string_view expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

// ?refresh=N: N seconds in [1, kMaxRefreshSeconds], else 0 (no refresh).
int RefreshSeconds(const httplib::Request& req) {
  int n = 0;
  if (!absl::SimpleAtoi(req.get_param_value("refresh"), &n)) return 0;
  return n >= 1 && n <= kMaxRefreshSeconds ? n : 0;
}

struct PageParts {
  std::string heading = kTitle;
  const std::string* token = nullptr;   // the form, when set
  const std::string* report = nullptr;  // the report in <pre>, when set
  double generated_ms = 0;
  int refresh = 0;
};

std::string Page(const PageParts& p) {
  std::string out = absl::StrCat("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>",
                                 kTitle, "</title>");
  if (p.refresh > 0) {
    absl::StrAppend(&out, "<meta http-equiv=\"refresh\" content=\"", p.refresh, "\">");
  }
  absl::StrAppend(&out, "</head>\n<body>\n<h1>", HtmlEscape(p.heading), "</h1>\n");
  if (p.token != nullptr) {
    absl::StrAppend(&out,
                    "<form method=\"post\" action=\"/\">\n"
                    "<input type=\"hidden\" name=\"token\" value=\"",
                    HtmlEscape(*p.token),
                    "\">\n"
                    "<input type=\"submit\" name=\"results\" value=\"Refresh\">\n"
                    "<input type=\"submit\" name=\"stop\" value=\"Stop Sim\">\n"
                    "</form>\n");
  }
  if (p.report != nullptr) {
    if (p.refresh > 0) {
      absl::StrAppend(&out, "<p>Refreshing every ", p.refresh,
                      " s (<a href=\"/\">stop refreshing</a>)</p>\n");
    } else if (p.token != nullptr) {
      absl::StrAppend(&out, "<p><a href=\"/?refresh=5\">Refresh every 5 s</a></p>\n");
    }
    absl::StrAppend(&out, "<pre>", HtmlEscape(*p.report), "</pre>\n",
                    absl::StrFormat("<p>Generated in %.1f milliseconds</p>\n", p.generated_ms));
  }
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

// The report page: the report is generated on this thread, timed in CPU time.
std::string ReportPage(const std::function<std::string()>& report_text, PageParts parts) {
  const double start = ThreadCpuMs();
  const std::string report = report_text();
  parts.report = &report;
  parts.generated_ms = ThreadCpuMs() - start;
  return Page(parts);
}

}  // namespace

WebAdmin::WebAdmin(WebAdminSources sources, WebAdminOptions options)
    : sources_(std::move(sources)),
      options_(std::move(options)),
      token_(options_.token.empty() ? RandomToken() : options_.token),
      server_(std::make_unique<httplib::Server>()) {}

WebAdmin::~WebAdmin() { Shutdown(); }

absl::StatusOr<std::unique_ptr<WebAdmin>> WebAdmin::Start(WebAdminSources sources,
                                                          WebAdminOptions options) {
  if (!sources.report_text || !sources.results || !sources.stop) {
    return absl::FailedPreconditionError(
        "web admin: the report_text, results and stop callbacks are all required");
  }
  std::unique_ptr<WebAdmin> admin(new WebAdmin(std::move(sources), std::move(options)));
  admin->Install();
  httplib::Server& server = *admin->server_;
  const std::string& address = admin->options_.bind_address;
  const int wanted = admin->options_.port;
  const int port = wanted == 0 ? server.bind_to_any_port(address)
                               : (server.bind_to_port(address, wanted) ? wanted : -1);
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("web admin: cannot listen on ", address, " port ",
                                               wanted, " (in use, or not a local address)"));
  }
  admin->port_ = port;
  admin->thread_ = std::thread([s = admin->server_.get()] { s->listen_after_bind(); });
  // stop() is a no-op until the listening loop runs; wait for it (bounded) so Shutdown works.
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return admin;
}

void WebAdmin::Shutdown() {
  if (!thread_.joinable()) return;
  // Repeated: a stop() that races the listening loop's start is lost.
  for (int i = 0; i < 500 && server_->is_running(); ++i) {
    server_->stop();
    if (!server_->is_running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->stop();
  thread_.join();
}

std::string WebAdmin::url() const {
  const bool v6 = options_.bind_address.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", options_.bind_address, v6 ? "]" : "", ":", port_,
                      "/");
}

void WebAdmin::Install() {
  httplib::Server& s = *server_;
  const int threads = options_.threads > 0 ? options_.threads : 1;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server
  // share a port in use instead of failing.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.set_keep_alive_timeout(2);
  s.set_read_timeout(5);
  s.set_write_timeout(5);
  s.set_payload_max_length(64 * 1024);

  s.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    PageParts parts;
    parts.token = &token_;
    parts.refresh = RefreshSeconds(req);
    res.set_content(ReportPage(sources_.report_text, parts), kHtml);
  });
  s.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
    PageParts parts;
    parts.token = &token_;
    if (!SameToken(req.get_param_value("token"), token_)) {
      res.status = 403;
      res.set_content(Page(parts), kHtml);
      return;
    }
    if (req.has_param("stop")) {
      if (!stop_requested_.exchange(true)) sources_.stop();
      parts.heading = "LoadSim Stopped - Final Results";
      parts.token = nullptr;
    }
    res.set_content(ReportPage(sources_.report_text, parts), kHtml);
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(PrometheusMetrics(sources_.results()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
    const v1::Results results = sources_.results();
    res.set_content(
        StatusJson(results, RunState(results, stop_requested()), options_.is_transaction),
        "application/json");
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content(absl::StrCat("no page ", req.path, " (pages: /, /metrics, /api/status)\n"),
                      "text/plain; charset=utf-8");
    }
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(absl::StrCat("web admin error: ", what, "\n"), "text/plain; charset=utf-8");
      });
}

}  // namespace loadsim
