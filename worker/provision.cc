#include "worker/provision.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/random.h"
#include "worker/caldav_client.h"
#include "worker/dav_xml.h"
#include "worker/event_loop.h"
#include "worker/http1_client.h"
#include "worker/http_auth.h"
#include "worker/http_engine.h"

namespace loadsim {
namespace {

// `base` under `home`, or base-2, base-3... when that name is taken.
std::string FreeName(absl::string_view home, absl::string_view base,
                     const std::set<std::string>& taken) {
  std::string href = absl::StrCat(home, base, "/");
  for (int n = 2; taken.count(href) > 0 && n < 100; ++n) {
    href = absl::StrCat(home, base, "-", n, "/");
  }
  return href;
}

// One account's provisioning: a chain of requests on its own connections.
class Job {
 public:
  Job(const v1::RunSpec& spec, const v1::Account& account, EventLoop* loop, HttpEngine* engine,
      const RequestBuilder* builder, Recorder* recorder, int64_t timeout_ns,
      AccountProvision* out, std::function<void()> finished)
      : loop_(loop),
        builder_(builder),
        recorder_(recorder),
        timeout_ns_(timeout_ns),
        out_(out),
        finished_(std::move(finished)),
        auth_(account.uid(), account.password(), DeriveSeed(spec.seed(), 0, account.uid())) {
    if (Http1Pool::CanServe(spec.server().url())) {
      transport_ = std::make_unique<Http1Pool>(loop, ConnectionLimits{});
    } else {
      transport_ = std::make_unique<ConnectionPool>(engine, ConnectionLimits{});
    }
    session_ = std::make_unique<CaldavSession>(transport_.get(), &auth_);
    std::string tmpl = spec.server().principal_path_template().empty()
                           ? "/principals/users/%s/"
                           : spec.server().principal_path_template();
    principal_path_ = absl::StrReplaceAll(tmpl, {{"%s", account.uid()}});
    out_->uid = account.uid();
  }

  void Run() {
    Send(builder_->FindPrincipal(principal_path_), [this](CaldavResult& r) {
      std::string principal;
      if (const MultistatusResponse* me = r.multistatus->Find(principal_path_)) {
        principal = !me->props.current_user_principal.empty() ? me->props.current_user_principal
                                                              : me->props.principal_url;
      }
      if (principal.empty()) principal = InternalHref(principal_path_);
      Send(builder_->PrincipalProperties(principal), [this, principal](CaldavResult& p) {
        const MultistatusResponse* me = p.multistatus->Find(principal);
        if (me == nullptr && p.multistatus->responses.size() == 1) {
          me = &p.multistatus->responses.front();
        }
        if (me == nullptr || me->props.calendar_home_set.empty()) {
          return Finish(absl::StrCat("PROPFIND{principal} ", builder_->Url(principal),
                                     ": no calendar-home-set"));
        }
        home_ = WithTrailingSlash(me->props.calendar_home_set.front());
        Send(builder_->HomeProperties(home_), [this](CaldavResult& listing) {
          for (CaldavRequest& req :
               MissingCalendarRequests(*builder_, home_, *listing.multistatus)) {
            pending_.push_back(std::move(req));
          }
          MakeNext();
        });
      });
    });
  }

 private:
  // Sends `request`; `next` runs only for a 207 with a multistatus or a success without one.
  void Send(CaldavRequest request, std::function<void(CaldavResult&)> next) {
    request.http.timeout_ns = timeout_ns_;
    std::string what = absl::StrCat(request.label, " ", request.http.url);
    bool needs_multistatus = request.label.rfind("PROPFIND", 0) == 0;
    session_->Send(std::move(request), [this, what, needs_multistatus, next](CaldavResult& r) {
      recorder_->Record(r.label, std::max<int64_t>(0, r.done_ns() - r.queued_ns()), r.ok(),
                        r.reason);
      if (!r.ok()) return Finish(absl::StrCat(what, ": ", r.reason));
      if (needs_multistatus && !r.multistatus.has_value()) {
        return Finish(absl::StrCat(what, ": HTTP ", r.status(), " without a multistatus"));
      }
      next(r);
    });
  }

  void MakeNext() {
    if (pending_.empty()) return Finish("");
    CaldavRequest request = std::move(pending_.front());
    pending_.pop_front();
    Send(std::move(request), [this](CaldavResult&) {
      ++out_->calendars_created;
      MakeNext();
    });
  }

  void Finish(std::string error) {
    out_->ok = error.empty();
    out_->error = std::move(error);
    // Defer: the caller may destroy this job, and we are inside its transport's callback.
    std::function<void()> finished = std::move(finished_);
    loop_->AddTimer(loop_->now_ns(), std::move(finished));
  }

  EventLoop* loop_;
  const RequestBuilder* builder_;
  Recorder* recorder_;
  int64_t timeout_ns_;
  AccountProvision* out_;
  std::function<void()> finished_;
  AuthSession auth_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<CaldavSession> session_;
  std::string principal_path_;
  std::string home_;
  std::deque<CaldavRequest> pending_;
};

}  // namespace

std::vector<CaldavRequest> MissingCalendarRequests(const RequestBuilder& builder,
                                                   absl::string_view home,
                                                   const Multistatus& listing) {
  bool events = false;
  bool tasks = false;
  std::set<std::string> taken;
  for (const MultistatusResponse& resp : listing.responses) {
    if (!resp.found()) continue;
    taken.insert(WithTrailingSlash(resp.href));
    if (!resp.props.resourcetype.has_value() || !resp.props.resourcetype->calendar) continue;
    events = events || resp.props.SupportsComponent("VEVENT");
    tasks = tasks || resp.props.SupportsComponent("VTODO");
  }
  std::vector<CaldavRequest> out;
  std::string dir = WithTrailingSlash(home);
  if (!events) out.push_back(builder.MakeCalendar(FreeName(dir, "calendar", taken), "VEVENT", "Calendar"));
  if (!tasks) out.push_back(builder.MakeCalendar(FreeName(dir, "tasks", taken), "VTODO", "Tasks"));
  return out;
}

std::vector<v1::Account> AccountsOfRun(const v1::RunSpec& spec,
                                       const std::vector<v1::Account>& accounts) {
  uint64_t users = static_cast<uint64_t>(std::max(0, spec.arrival().groups())) *
                   static_cast<uint64_t>(std::max(0, spec.arrival().group_size()));
  size_t n = static_cast<size_t>(std::min<uint64_t>(users, accounts.size()));
  return std::vector<v1::Account>(accounts.begin(), accounts.begin() + static_cast<long>(n));
}

absl::StatusOr<ProvisionResult> ProvisionAccounts(const v1::RunSpec& spec,
                                                  const std::vector<v1::Account>& accounts,
                                                  const ProvisionOptions& options) {
  if (spec.server().url().empty()) {
    return absl::InvalidArgumentError("provisioning: the configuration has no server URL");
  }
  for (size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].uid().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("provisioning: account ", i, " has no uid"));
    }
  }
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  absl::StatusOr<std::unique_ptr<HttpEngine>> engine = HttpEngine::Create(loop->get());
  if (!engine.ok()) return engine.status();
  RequestBuilder builder(TraitsOf(ClientSoftware::kOsX10_7), spec.server().url());
  Recorder recorder;
  ProvisionResult result;
  result.accounts.resize(accounts.size());
  int64_t timeout_ns = static_cast<int64_t>(options.request_timeout_s * 1e9);
  size_t next = 0;
  size_t running = 0;
  std::vector<std::unique_ptr<Job>> jobs(accounts.size());
  std::function<void()> launch = [&] {
    while (running < static_cast<size_t>(std::max(1, options.concurrency)) &&
           next < accounts.size()) {
      size_t i = next++;
      ++running;
      jobs[i] = std::make_unique<Job>(spec, accounts[i], loop->get(), engine->get(), &builder,
                                      &recorder, timeout_ns, &result.accounts[i], [&, i] {
                                        jobs[i].reset();
                                        --running;
                                        launch();
                                      });
      jobs[i]->Run();
    }
    if (running == 0) (*loop)->Stop();
  };
  launch();
  if (running > 0) (*loop)->Run();
  for (const AccountProvision& a : result.accounts) {
    result.created += a.calendars_created;
    if (!a.ok) ++result.failed;
  }
  result.labels = recorder.TakeDelta();
  return result;
}

std::string FormatProvisionReport(const ProvisionResult& result) {
  std::string out;
  for (const AccountProvision& a : result.accounts) {
    if (!a.ok) absl::StrAppend(&out, "provision failed: ", a.uid, ": ", a.error, "\n");
  }
  absl::StrAppend(&out, absl::StrFormat("%-26s %8s %8s %9s\n", "request", "count", "failed",
                                        "mean ms"));
  for (const auto& [label, s] : result.labels) {
    absl::StrAppend(&out, absl::StrFormat("%-26s %8d %8d %9.3f\n", label, s.count(),
                                          s.failures(), s.MeanUs() / 1000));
  }
  absl::StrAppend(&out, absl::StrFormat(
                            "provisioned %d accounts: %d calendars created, %d accounts failed\n",
                            result.accounts.size(), result.created, result.failed));
  return out;
}

}  // namespace loadsim
