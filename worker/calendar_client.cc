#include "worker/calendar_client.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "worker/amp_push.h"
#include "worker/client_state.h"
#include "worker/dav_xml.h"
#include "worker/multistatus.h"
#include "worker/provision.h"

namespace loadsim {
namespace {

constexpr char kSyncCollection[] = "{DAV:}sync-collection";

// The path of a Location header value (absolute URL or path).
std::string PathOf(absl::string_view location) {
  size_t scheme = location.find("://");
  if (scheme != absl::string_view::npos) {
    size_t slash = location.find('/', scheme + 3);
    location = slash == absl::string_view::npos ? "/" : location.substr(slash);
  }
  return InternalHref(location);
}

// The response for `href`, else the only/first one; null for an empty multistatus.
const MultistatusResponse* ResponseFor(const Multistatus& ms, absl::string_view href) {
  const MultistatusResponse* r = ms.Find(href);
  if (r == nullptr && !ms.responses.empty()) r = &ms.responses.front();
  return r;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty() || absl::StrContains(a, b)) return a;
  return absl::StrCat(a, "; ", b);
}

}  // namespace

bool CachedCalendar::Supports(absl::string_view component) const {
  for (const std::string& c : components) {
    if (absl::EqualsIgnoreCase(c, component)) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<CalendarClient>> CalendarClient::Create(
    CalendarClientOptions options, EventLoop* loop, std::unique_ptr<HttpTransport> transport,
    Recorder* recorder) {
  if (options.traits == nullptr) return absl::InvalidArgumentError("calendar client: no software");
  if (loop == nullptr || transport == nullptr || recorder == nullptr) {
    return absl::InvalidArgumentError("calendar client: loop, transport and recorder required");
  }
  if (!(options.poll_interval_s > 0)) {
    return absl::InvalidArgumentError("calendarHomePollInterval must be > 0");
  }
  if (options.uid.empty()) return absl::InvalidArgumentError("calendar client: no account uid");
  return std::unique_ptr<CalendarClient>(
      new CalendarClient(std::move(options), loop, std::move(transport), recorder));
}

CalendarClient::CalendarClient(CalendarClientOptions options, EventLoop* loop,
                               std::unique_ptr<HttpTransport> transport, Recorder* recorder)
    : options_(std::move(options)),
      title_(options_.title.empty() ? options_.traits->client_type : options_.title),
      loop_(loop),
      transport_(std::move(transport)),
      recorder_(recorder),
      rng_(options_.seed),
      auth_(options_.uid, options_.password, DeriveSeed(options_.seed, 0, "auth")),
      session_(transport_.get(), &auth_),
      builder_(*options_.traits, options_.root),
      alive_(std::make_shared<bool>(true)),
      interval_ns_(static_cast<int64_t>(options_.poll_interval_s * 1e9)) {}

CalendarClient::~CalendarClient() {
  *alive_ = false;
  if (timer_ != 0) loop_->CancelTimer(timer_);
}

void CalendarClient::Start(int64_t stop_ns) {
  stop_ns_ = stop_ns;
  stopped_ = false;
  if (!state_loaded_ && options_.use_old_data && !options_.state_path.empty()) {
    RestoreClientState(this, options_.state_path);
  }
  state_loaded_ = true;
  RunStartup();
}

void CalendarClient::Stop() {
  stopped_ = true;
  if (timer_ != 0) loop_->CancelTimer(timer_);
  timer_ = 0;
  push_.reset();
  if (started_ && !options_.state_path.empty()) PersistClientState(*this, options_.state_path);
}

std::vector<const CachedCalendar*> CalendarClient::CalendarsFor(absl::string_view component) const {
  std::vector<const CachedCalendar*> out;
  for (const auto& [href, cal] : calendars_) {
    if (!cal.inbox && cal.Supports(component)) out.push_back(&cal);
  }
  return out;
}

const CachedItem* CalendarClient::FindItem(absl::string_view href) const {
  for (const auto& [chref, cal] : calendars_) {
    for (const auto& [ihref, item] : cal.items) {
      if (SameHref(ihref, href)) return &item;
    }
  }
  return nullptr;
}

CachedCalendar* CalendarClient::FindCalendar(absl::string_view href) {
  auto it = calendars_.find(WithTrailingSlash(href));
  return it == calendars_.end() ? nullptr : &it->second;
}

void CalendarClient::Send(CaldavRequest request, std::function<void(CaldavResult&)> done,
                          Check check) {
  if (request.http.timeout_ns == 0 && options_.request_timeout_s > 0) {
    request.http.timeout_ns = static_cast<int64_t>(options_.request_timeout_s * 1e9);
  }
  std::weak_ptr<bool> alive = alive_;
  Recorder* recorder = recorder_;
  AuthSession* auth = &auth_;
  session_.Send(std::move(request), [alive, recorder, auth, done, check](CaldavResult& r) {
    std::shared_ptr<bool> a = alive.lock();
    if (!a || !*a) return;
    if (check && r.ok()) {
      std::string unusable = check(r);
      if (!unusable.empty()) {
        r.failure = Failure::kMalformed;
        r.reason = std::move(unusable);
      }
    }
    int64_t challenge_ns = 0;
    if (r.auth.had_challenge) {
      challenge_ns = r.auth.challenge_done_ns - r.auth.challenge_sent_ns;
      recorder->Record(absl::StrCat("AUTH{", auth->scheme(), "}"), challenge_ns, true);
    }
    int64_t duration = r.done_ns() - r.queued_ns() - challenge_ns;
    recorder->Record(r.label, std::max<int64_t>(0, duration), r.ok(), r.reason);
    done(r);
  });
}

// ---------------------------------------------------------------------------------------------
// Startup

void CalendarClient::RunStartup() {
  if (stopped_ || starting_ || started_) return;
  starting_ = true;
  int64_t due = loop_->now_ns();
  std::string label = absl::StrCat("startup: ", title_);
  Step started = [this, due, label](bool ok, const std::string& reason) {
    starting_ = false;
    recorder_->Record(label, loop_->UpdateNow() - due, ok, reason);
    started_ = ok;
    if (stopped_) return;
    int64_t now = loop_->now_ns();
    if (ok) {
      // The first periodic poll at a random point of the first interval.
      SchedulePoll(now + static_cast<int64_t>(rng_.UniformOpen01() * interval_ns_));
      StartPush();
    } else {
      // Spec 9.4-13: not started; try the whole startup again one interval later.
      timer_ = loop_->AddTimer(now + interval_ns_, [this] {
        timer_ = 0;
        RunStartup();
      });
    }
  };
  // Client data (spec 9.1): with a restored principal, discovery is skipped.
  if (restored_) return OnPrincipal(principal_, started);
  Discover(started);
}

void CalendarClient::Discover(Step done) {
  std::string find_path =
      absl::StrReplaceAll(options_.principal_path_template, {{"%s", options_.uid}});
  auto find_principal = [this, find_path, done]() {
    Send(builder_.FindPrincipal(find_path), [this, find_path, done](CaldavResult& r) {
      if (!r.ok()) return done(false, r.reason);
      const MultistatusResponse* me = ResponseFor(*r.multistatus, find_path);
      std::string principal;
      if (me != nullptr) {
        principal = !me->props.principal_url.empty() ? me->props.principal_url
                                                     : me->props.current_user_principal;
      }
      if (principal.empty()) principal = InternalHref(find_path);
      OnPrincipal(principal, done);
    });
  };
  if (!traits().well_known_discovery) return find_principal();

  auto on_well_known = [this, find_principal, done](CaldavResult& r, absl::string_view path) {
    if (!r.ok()) return done(false, r.reason);
    if (!r.multistatus.has_value()) return find_principal();
    const MultistatusResponse* me = ResponseFor(*r.multistatus, path);
    std::string principal;
    if (me != nullptr) {
      principal = !me->props.current_user_principal.empty() ? me->props.current_user_principal
                                                            : me->props.principal_url;
    }
    if (principal.empty()) return find_principal();
    OnPrincipal(principal, done);
  };
  Send(builder_.WellKnown(), [this, on_well_known, done](CaldavResult& r) {
    if (r.ok() && (r.status() == 301 || r.status() == 302)) {
      std::string path = PathOf(r.response.Header("location"));
      Send(builder_.WellKnownAt(path),
           [on_well_known, path](CaldavResult& r2) { on_well_known(r2, path); });
      return;
    }
    on_well_known(r, "/.well-known/caldav/");
  });
}

void CalendarClient::OnPrincipal(const std::string& principal, Step done) {
  principal_ = principal;
  Send(builder_.PrincipalProperties(principal), [this, done](CaldavResult& r) {
    if (!r.ok()) return done(false, r.reason);
    const MultistatusResponse* me = ResponseFor(*r.multistatus, principal_);
    if (me == nullptr || me->props.calendar_home_set.empty()) {
      return done(false, "principal has no calendar-home-set");
    }
    home_ = WithTrailingSlash(me->props.calendar_home_set.front());
    // List the calendars; provision the ones the simulation needs; then the first poll.
    Send(builder_.HomeProperties(home_), [this, done](CaldavResult& listing) {
      if (!listing.ok()) return done(false, listing.reason);
      auto first_poll = [this, done](bool ok, const std::string& reason) {
        if (!ok) return done(false, reason);
        Poll(true, done);
      };
      auto missing = std::make_shared<std::deque<CaldavRequest>>();
      for (CaldavRequest& r : MissingCalendarRequests(builder_, home_, *listing.multistatus)) {
        missing->push_back(std::move(r));
      }
      SendAll(missing, first_poll, true, "");
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Poll

void CalendarClient::SchedulePoll(int64_t due_ns) {
  if (stopped_ || (stop_ns_ > 0 && due_ns >= stop_ns_)) return;
  timer_ = loop_->AddTimer(due_ns, [this, due_ns] {
    timer_ = 0;
    recorder_->Record("lag{poll}", loop_->UpdateNow() - due_ns, true);
    // Fixed rate: the next tick one interval after this one's due time, skipping missed ones.
    int64_t next = due_ns + interval_ns_;
    int64_t now = loop_->now_ns();
    if (next <= now) next += ((now - next) / interval_ns_ + 1) * interval_ns_;
    SchedulePoll(next);
    if (polling_) return;  // the previous poll is still running: skip this tick
    if (push_ != nullptr && push_->up()) return;  // notifications replace polls while subscribed
    if (!started_) return RunStartup();
    Poll(false, [](bool, const std::string&) {});
  });
}

void CalendarClient::PollNow(ActionDone done) {
  if (!started_ || polling_) return done(false, started_ ? "poll in progress" : "not started");
  Poll(false, std::move(done));
}

void CalendarClient::Poll(bool first, Step done, const char* operation) {
  polling_ = true;
  push_pending_ = false;
  int64_t due = loop_->now_ns();
  Step finish = [this, due, done, operation](bool ok, const std::string& reason) {
    polling_ = false;  // always cleared, whatever failed (spec 9.4-12)
    ++polls_;
    recorder_->Record(operation, loop_->UpdateNow() - due, ok, reason);
    // A notification that came during this poll may name a change it did not see.
    if (push_pending_) {
      std::weak_ptr<bool> alive = alive_;
      loop_->AddTimer(loop_->now_ns(), [this, alive] {
        if (!alive.expired()) OnPushNotification();
      });
    }
    done(ok, reason);
  };
  Send(builder_.HomeProperties(home_), [this, first, finish](CaldavResult& r) {
    if (!r.ok()) return finish(false, r.reason);
    OnHomeListing(r, first, finish);
  });
}

void CalendarClient::OnHomeListing(CaldavResult& result, bool first, Step done) {
  const Multistatus& ms = *result.multistatus;
  if (first) {
    sync_mode_ = false;
    if (traits().sync_report) {
      for (const MultistatusResponse& resp : ms.responses) {
        if (resp.props.SupportsReport(kSyncCollection)) sync_mode_ = true;
      }
    }
  }
  std::set<std::string> listed;
  auto queue = std::make_shared<std::deque<std::string>>();
  for (const MultistatusResponse& resp : ms.responses) {
    if (resp.found() && SameHref(resp.href, home_) && resp.props.pushkey.has_value()) {
      push_key_ = *resp.props.pushkey;  // for AMP push (spec 3.7)
    }
    if (!resp.found() || !resp.props.resourcetype.has_value()) continue;
    const ResourceType& type = *resp.props.resourcetype;
    if (!type.calendar && !type.schedule_inbox) continue;
    std::string href = WithTrailingSlash(resp.href);
    if (SameHref(href, home_)) continue;
    listed.insert(href);
    std::string token = sync_mode_
                            ? resp.props.sync_token.value_or(resp.props.getctag.value_or(""))
                            : resp.props.getctag.value_or(resp.props.sync_token.value_or(""));
    CachedCalendar& cal = calendars_[href];
    bool is_new = cal.href.empty();
    cal.href = href;
    cal.name = resp.props.displayname.value_or("");
    cal.inbox = type.schedule_inbox;
    cal.components.clear();
    if (type.calendar && resp.props.supported_components.has_value()) {
      cal.components = *resp.props.supported_components;
    }
    cal.sync_report = sync_mode_ && (resp.props.supported_reports.empty() ||
                                     resp.props.SupportsReport(kSyncCollection));
    // A token-less server listing: always resync (cheap for the sync strategies).
    if (is_new || token.empty() || cal.token != token) {
      cal.token.clear();  // set again when the sync completes
      queue->push_back(href);
      pending_tokens_[href] = token;
    }
  }
  // Calendars gone from the home are forgotten (spec 9.4-15).
  for (auto it = calendars_.begin(); it != calendars_.end();) {
    it = listed.count(it->first) ? std::next(it) : calendars_.erase(it);
  }
  auto sync = [this, queue, done](bool ok, const std::string& reason) {
    SyncNext(queue, done, ok, reason);
  };
  if (!first) return sync(true, "");
  // First poll: the client sets its color, order (and time zone) on every calendar.
  auto patches = std::make_shared<std::deque<CaldavRequest>>();
  for (const auto& [href, cal] : calendars_) {
    if (cal.inbox) continue;
    absl::StatusOr<std::vector<CaldavRequest>> requests = builder_.FirstPollProppatches(href);
    if (!requests.ok()) return sync(false, std::string(requests.status().message()));
    for (CaldavRequest& r : *requests) patches->push_back(std::move(r));
  }
  SendAll(patches, sync, true, "");
}

void CalendarClient::SendAll(std::shared_ptr<std::deque<CaldavRequest>> requests, Step done,
                             bool all_ok, std::string reason) {
  if (requests->empty() || stopped_) return done(all_ok, reason);
  CaldavRequest request = std::move(requests->front());
  requests->pop_front();
  Send(std::move(request), [this, requests, done, all_ok, reason](CaldavResult& r) {
    SendAll(requests, done, all_ok && r.ok(), r.ok() ? reason : Join(reason, r.reason));
  });
}

void CalendarClient::SyncNext(std::shared_ptr<std::deque<std::string>> queue, Step done,
                              bool all_ok, std::string reason) {
  if (queue->empty() || stopped_) return done(all_ok, reason);
  std::string href = queue->front();
  queue->pop_front();
  SyncCalendar(href, [this, queue, done, all_ok, reason](bool ok, const std::string& why) {
    SyncNext(queue, done, all_ok && ok, ok ? reason : Join(reason, why));
  });
}

void CalendarClient::SyncCalendar(const std::string& href, Step done) {
  CachedCalendar* cal = FindCalendar(href);
  if (cal == nullptr) return done(true, "");
  std::string token = pending_tokens_[href];
  using Listing = std::vector<std::pair<std::string, std::optional<std::string>>>;
  auto apply = [this, href, token, done](CaldavResult& r) {
    if (!r.ok()) return done(false, r.reason);
    Listing listing;
    for (const MultistatusResponse& resp : r.multistatus->responses) {
      if (SameHref(resp.href, href) || !resp.found()) continue;
      if (resp.props.resourcetype.has_value() && resp.props.resourcetype->collection) continue;
      if (!resp.props.getetag.has_value()) continue;
      listing.emplace_back(resp.href, resp.props.getetag);
    }
    ApplyListing(href, listing, /*full=*/true, token, /*sync_token=*/false, done);
  };
  if (cal->sync_report && !cal->inbox) {
    return SyncCollection(href, cal->sync_token, done);
  }
  if (traits().time_range_sync && !cal->inbox) {
    if (cal->Supports("VEVENT")) {
      return Send(builder_.EventQuery(href, absl::Now()), apply);
    }
    if (cal->Supports("VTODO")) return Send(builder_.TaskQuery(href), apply);
    return done(true, "");  // neither component: not synced
  }
  Send(builder_.CalendarItems(href), apply);
}

void CalendarClient::SyncCollection(const std::string& href, const std::string& token, Step done) {
  CaldavRequest request = builder_.SyncCollection(href, token);
  Send(std::move(request), [this, href, token, done](CaldavResult& r) {
    if (!r.ok()) return done(false, r.reason);
    if (r.status() == 403) {
      // The token is no longer valid: start over with a full sync; 403 on a full sync fails.
      if (token.empty()) return done(false, "sync-collection refused (HTTP 403)");
      return SyncCollection(href, "", done);
    }
    if (!r.multistatus.has_value()) return done(false, "sync-collection without multistatus");
    std::vector<std::pair<std::string, std::optional<std::string>>> listing;
    for (const MultistatusResponse& resp : r.multistatus->responses) {
      if (SameHref(resp.href, href)) continue;
      if (!resp.found()) {
        listing.emplace_back(resp.href, std::nullopt);  // removed (spec 9.4-15)
        continue;
      }
      if (!resp.props.getetag.has_value()) continue;
      listing.emplace_back(resp.href, resp.props.getetag);
    }
    ApplyListing(href, listing, /*full=*/token.empty(), r.multistatus->sync_token.value_or(""),
                 /*sync_token=*/true, done);
  });
}

void CalendarClient::ApplyListing(
    const std::string& href,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& listing, bool full,
    const std::string& new_token, bool sync_token, Step done) {
  CachedCalendar* cal = FindCalendar(href);
  if (cal == nullptr) return done(true, "");
  std::vector<std::string> changed;
  std::set<std::string> seen;
  for (const auto& [item_href, etag] : listing) {
    seen.insert(item_href);
    if (!etag.has_value()) {
      cal->items.erase(item_href);
      continue;
    }
    auto it = cal->items.find(item_href);
    if (it == cal->items.end() || it->second.etag != *etag) changed.push_back(item_href);
  }
  if (full) {
    // Items the server no longer lists are gone; unchanged ones stay (spec 9.4-15).
    for (auto it = cal->items.begin(); it != cal->items.end();) {
      it = seen.count(it->first) ? std::next(it) : cal->items.erase(it);
    }
  }
  auto batches = std::make_shared<std::deque<CaldavRequest>>();
  for (CaldavRequest& r : builder_.MultigetBatches(href, changed)) {
    batches->push_back(std::move(r));
  }
  Multiget(href, batches, new_token, sync_token, done);
}

void CalendarClient::Multiget(const std::string& href,
                              std::shared_ptr<std::deque<CaldavRequest>> batches,
                              const std::string& new_token, bool sync_token, Step done) {
  if (batches->empty()) {
    CachedCalendar* cal = FindCalendar(href);
    if (cal != nullptr) {
      auto pending = pending_tokens_.find(href);
      cal->token = pending != pending_tokens_.end() ? pending->second : new_token;
      if (sync_token) cal->sync_token = new_token;
      pending_tokens_.erase(href);
    }
    return done(true, "");
  }
  CaldavRequest request = std::move(batches->front());
  batches->pop_front();
  // Calendar data is parsed before the request is recorded, so an answer with malformed
  // iCalendar is a failed request with that reason (not a success with an empty item).
  using Parsed = std::vector<std::pair<const MultistatusResponse*, absl::StatusOr<CalendarObject>>>;
  auto parsed = std::make_shared<Parsed>();
  Check check = [parsed](const CaldavResult& r) -> std::string {
    std::string unusable;
    for (const MultistatusResponse& resp : r.multistatus->responses) {
      if (!resp.found()) continue;
      if (!resp.props.getetag.has_value() || !resp.props.calendar_data.has_value()) continue;
      parsed->emplace_back(&resp, CalendarObject::Parse(*resp.props.calendar_data));
      const absl::Status& s = parsed->back().second.status();
      if (!s.ok() && unusable.empty()) {
        unusable = absl::StrCat("malformed iCalendar in calendar-data: ", s.message());
      }
    }
    return unusable;
  };
  Send(
      std::move(request),
      [this, href, batches, new_token, sync_token, done, parsed](CaldavResult& r) {
        if (!r.ok() && parsed->empty()) return done(false, r.reason);
        CachedCalendar* cal = FindCalendar(href);
        if (cal == nullptr) return done(r.ok(), r.reason);
        for (auto& [resp, obj] : *parsed) {
          if (!obj.ok()) continue;  // not cached: the next sync fetches it again
          CachedItem item;
          item.etag = *resp->props.getetag;
          item.uid = obj->uid();
          item.summary = obj->summary();
          item.kind = obj->kind();
          cal->items[resp->href] = std::move(item);
        }
        // A malformed item fails the sync: the calendar's token stays, the next poll retries.
        if (!r.ok()) return done(false, r.reason);
        Multiget(href, batches, new_token, sync_token, done);
      },
      check);
}

// ---------------------------------------------------------------------------------------------
// Actions

void CalendarClient::AddEvent(absl::string_view calendar, CalendarObject object, ActionDone done) {
  if (stopped_) return done(false, "stopped");
  absl::Status tz = object.AddMissingTimezones();
  if (!tz.ok()) return done(false, std::string(tz.message()));
  std::string cal_href = WithTrailingSlash(calendar);
  std::string href = absl::StrCat(cal_href, object.uid(), ".ics");
  CachedItem item;
  item.uid = object.uid();
  item.summary = object.summary();
  item.kind = object.kind();
  Send(builder_.PutEvent(href, object.Serialize(), PutCondition::Create()),
       [this, cal_href, href, item, done](CaldavResult& r) mutable {
         if (r.ok()) {
           CachedCalendar* cal = FindCalendar(cal_href);
           item.etag = r.etag();
           // Without an ETag header the next sync fetches it.
           if (cal != nullptr && !item.etag.empty()) cal->items[href] = std::move(item);
         }
         done(r.ok(), r.reason);
       });
}

void CalendarClient::DeleteEvent(absl::string_view href, ActionDone done) {
  if (stopped_) return done(false, "stopped");
  for (auto& [chref, cal] : calendars_) {
    for (auto it = cal.items.begin(); it != cal.items.end();) {
      it = SameHref(it->first, href) ? cal.items.erase(it) : std::next(it);
    }
  }
  Send(builder_.Delete(href), [done](CaldavResult& r) { done(r.ok(), r.reason); });
}

// ---------------------------------------------------------------------------------------------
// Push (spec 3.7) and client data (spec 9.1)

void CalendarClient::StartPush() {
  if (!options_.amp_push || options_.amp_push_host.empty() || push_key_.empty() ||
      push_ != nullptr) {
    return;
  }
  AmpPushOptions o;
  o.host = options_.amp_push_host;
  o.port = options_.amp_push_port;
  o.keys = {push_key_};
  o.backoff_initial_s = options_.amp_backoff_initial_s;
  o.backoff_max_s = options_.amp_backoff_max_s;
  o.seed = DeriveSeed(options_.seed, 0, "amp-push");
  push_ = std::make_unique<AmpPushClient>(
      loop_, recorder_, std::move(o), [this](const std::string&) { OnPushNotification(); },
      [this](bool up, const std::string&) {
        if (!up) {
          push_was_down_ = true;  // polls run again until the next subscription
          return;
        }
        // Resubscribed after a gap: catch up on what no notification will report.
        if (push_was_down_) OnPushNotification();
        push_was_down_ = false;
      });
  push_->Start();
}

void CalendarClient::OnPushNotification() {
  if (stopped_ || !started_) return;
  if (polling_) {
    push_pending_ = true;  // run once more when the current poll is over
    return;
  }
  Poll(false, [](bool, const std::string&) {}, "push");
}

ClientSnapshot CalendarClient::Snapshot() const {
  ClientSnapshot snap;
  snap.principal = principal_;
  snap.home = home_;
  snap.sync_mode = sync_mode_;
  snap.push_key = push_key_;
  snap.calendars = calendars_;
  return snap;
}

void CalendarClient::Restore(ClientSnapshot snapshot) {
  principal_ = std::move(snapshot.principal);
  home_ = std::move(snapshot.home);
  sync_mode_ = snapshot.sync_mode;
  push_key_ = std::move(snapshot.push_key);
  calendars_ = std::move(snapshot.calendars);
  restored_ = !principal_.empty();
}

}  // namespace loadsim
