#include "worker/calendar_client.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
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

// Midnight (UTC) of the day `object` starts, as the free-busy request of the attendee lookup
// wants it (the local date relabelled as UTC, spec 3.5); today if the object has no start.
absl::Time StartDay(const CalendarObject& object) {
  icalcomponent* main = icalcomponent_get_first_real_component(object.raw());
  icaltimetype start = main != nullptr ? icalcomponent_get_dtstart(main) : icaltime_null_time();
  if (icaltime_is_null_time(start)) {
    return absl::FromCivil(absl::CivilDay(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())),
                           absl::UTCTimeZone());
  }
  return absl::FromCivil(absl::CivilDay(start.year, start.month, start.day), absl::UTCTimeZone());
}

}  // namespace

std::string RandomUuid(RandomStream& rng) {
  uint64_t hi = rng.NextU64();
  uint64_t lo = rng.NextU64();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                         // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

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

CachedCalendar* CalendarClient::CalendarOf(absl::string_view href) {
  std::string item = InternalHref(href);
  size_t slash = item.rfind('/');
  if (slash == std::string::npos) return nullptr;
  return FindCalendar(absl::string_view(item).substr(0, slash + 1));
}

std::string CalendarClient::address() const {
  if (!address_.empty()) return address_;
  return options_.email.empty() ? "" : absl::StrCat("mailto:", options_.email);
}

int CalendarClient::AddItemObserver(ItemObserver observer) {
  observers_.emplace_back(next_observer_, std::move(observer));
  return next_observer_++;
}

void CalendarClient::RemoveItemObserver(int id) {
  observers_.erase(std::remove_if(observers_.begin(), observers_.end(),
                                  [id](const auto& o) { return o.first == id; }),
                   observers_.end());
}

void CalendarClient::Notify(const CachedCalendar& calendar, const std::string& href,
                            const CalendarObject& object, const std::string& etag,
                            const std::string& schedule_tag) {
  // A copy: an observer may add or remove observers.
  std::vector<std::pair<int, ItemObserver>> observers = observers_;
  for (const auto& [id, observer] : observers) {
    observer(ItemChange{calendar, href, object, etag, schedule_tag});
  }
}

void CalendarClient::Send(CaldavRequest request, std::function<void(CaldavResult&)> done,
                          Check check) {
  if (request.http.timeout_ns == 0 && options_.request_timeout_s > 0) {
    request.http.timeout_ns = static_cast<int64_t>(options_.request_timeout_s * 1e9);
  }
  std::weak_ptr<bool> alive = alive_;
  Recorder* recorder = recorder_;
  AuthSession* auth = &auth_;
  // Only while failure samples are still wanted: what the request was.
  std::shared_ptr<std::pair<std::string, std::string>> sent;
  if (recorder_->WantsFailureSample()) {
    sent = std::make_shared<std::pair<std::string, std::string>>(request.http.method,
                                                                 request.http.url);
  }
  std::string uid = sent ? options_.uid : std::string();
  session_.Send(std::move(request), [alive, recorder, auth, done, check, sent,
                                     uid](CaldavResult& r) {
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
    if (!r.ok() && sent && recorder->WantsFailureSample()) {
      recorder->AddFailureSample(MakeFailureSample(uid, r.label, sent->first, sent->second,
                                                   r.status(), r.reason, r.response.body,
                                                   r.done_ns()));
    }
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
    // Scheduling: the own mailto: address, the outbox and where principals are searched.
    address_.clear();
    for (const std::string& a : me->props.calendar_user_address_set) {
      if (absl::StartsWithIgnoreCase(a, "mailto:")) {
        address_ = a;
        break;
      }
    }
    outbox_ = me->props.schedule_outbox_url;
    principal_collection_ = me->props.principal_collection_set.empty()
                                ? ""
                                : me->props.principal_collection_set.front();
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
        std::vector<std::pair<const MultistatusResponse*, CalendarObject>> fetched;
        for (auto& [resp, obj] : *parsed) {
          if (!obj.ok()) continue;  // not cached: the next sync fetches it again
          CachedItem item;
          item.etag = *resp->props.getetag;
          item.uid = obj->uid();
          item.summary = obj->summary();
          item.kind = obj->kind();
          if (!observers_.empty()) fetched.emplace_back(resp, *std::move(obj));
          cal->items[resp->href] = std::move(item);
        }
        // The original's eventChanged, once the batch is in the cache.
        for (const auto& [resp, object] : fetched) {
          Notify(*cal, resp->href, object, *resp->props.getetag,
                 resp->props.schedule_tag.value_or(""));
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
  PutNew(calendar, std::move(object), /*invite=*/false, std::move(done));
}

void CalendarClient::PutNew(absl::string_view calendar, CalendarObject object, bool invite,
                            ActionDone done) {
  if (stopped_) return done(false, kStoppedReason);
  absl::Status tz = object.AddMissingTimezones();
  if (!tz.ok()) return done(false, std::string(tz.message()));
  std::string cal_href = WithTrailingSlash(calendar);
  std::string href = absl::StrCat(cal_href, object.uid(), ".ics");
  CachedItem item;
  item.uid = object.uid();
  item.summary = object.summary();
  item.kind = object.kind();
  CaldavRequest put =
      invite ? builder_.PutOrganizer(href, object.Serialize(),
                                     static_cast<size_t>(object.attendee_count()),
                                     PutCondition::Create())
             : builder_.PutEvent(href, object.Serialize(), PutCondition::Create());
  Send(std::move(put), [this, cal_href, href, item, done](CaldavResult& r) mutable {
         if (r.ok()) {
           CachedCalendar* cal = FindCalendar(cal_href);
           item.etag = r.etag();
           // Without an ETag header the next sync fetches it.
           if (cal != nullptr && !item.etag.empty()) cal->items[href] = std::move(item);
         }
         done(r.ok(), r.reason);
       });
}

void CalendarClient::DeleteEvent(absl::string_view href, ActionDone done,
                                 std::vector<int> also_expected, absl::string_view if_match) {
  if (stopped_) return done(false, kStoppedReason);
  for (auto& [chref, cal] : calendars_) {
    for (auto it = cal.items.begin(); it != cal.items.end();) {
      it = SameHref(it->first, href) ? cal.items.erase(it) : std::next(it);
    }
  }
  CaldavRequest request = builder_.Delete(href, if_match);
  for (int status : also_expected) request.expected.push_back(status);
  Send(std::move(request), [done](CaldavResult& r) { done(r.ok(), r.reason); });
}

// ---------------------------------------------------------------------------------------------
// Scheduling actions

void CalendarClient::AddInvite(absl::string_view calendar, CalendarObject object,
                               ActionDone done) {
  if (stopped_) return done(false, kStoppedReason);
  std::vector<std::string> invitees;
  std::string self = address();
  for (const CalendarUser& a : object.attendees()) {
    if (!absl::EqualsIgnoreCase(a.address, self)) invitees.push_back(a.address);
  }
  std::string cal(calendar);
  auto invitation = std::make_shared<CalendarObject>(std::move(object));
  LookUpAttendees(std::move(invitees), *invitation,
                  [this, cal, invitation, done](bool, const std::string&) {
                    PutNew(cal, std::move(*invitation), /*invite=*/true, done);
                  });
}

void CalendarClient::LookUpAttendees(std::vector<std::string> addresses,
                                     const CalendarObject& event, ActionDone done) {
  auto queue = std::make_shared<std::deque<std::string>>();
  if (traits().attendee_lookups && !outbox_.empty() && !principal_collection_.empty()) {
    queue->assign(addresses.begin(), addresses.end());
  }
  Lookups(queue, StartDay(event), event.uid(), std::move(done));
}

void CalendarClient::RecordOperation(absl::string_view label, int64_t latency_ns, bool ok,
                                     const std::string& reason) const {
  if (!ok && stopped_ && reason == kStoppedReason) return;
  recorder_->Record(label, latency_ns, ok, reason);
}

void CalendarClient::Lookups(std::shared_ptr<std::deque<std::string>> attendees, absl::Time day,
                             const std::string& uid, Step done) {
  if (attendees->empty() || stopped_) return done(true, "");
  std::string attendee = attendees->front();
  attendees->pop_front();
  constexpr int64_t kPrefixes = sizeof(kPrincipalSearchPrefixes) / sizeof(kPrincipalSearchPrefixes[0]);
  const char* prefix = kPrincipalSearchPrefixes[rng_.UniformInt(0, kPrefixes)];
  // A failed lookup is a failed request; the invitation goes out all the same.
  Send(builder_.PrincipalSearch(principal_collection_, prefix),
       [this, attendees, day, uid, attendee, done](CaldavResult&) {
         FreeBusySpec fb;
         fb.uid = absl::AsciiStrToUpper(RandomUuid(rng_));
         fb.start = day;
         fb.end = day + absl::Hours(24);
         fb.stamp = absl::Now();
         fb.organizer = address();
         fb.attendees = {address(), attendee};
         fb.mask_uid = uid;
         absl::StatusOr<CalendarObject> request = CalendarObject::NewFreeBusyRequest(fb);
         if (!request.ok()) return Lookups(attendees, day, uid, done);
         Send(builder_.FreeBusy(outbox_, address(), fb.attendees, request->Serialize()),
              [this, attendees, day, uid, done](CaldavResult&) {
                Lookups(attendees, day, uid, done);
              });
       });
}

void CalendarClient::UpdateAttendee(absl::string_view href, const CalendarObject& object,
                                    const PutCondition& condition, StatusDone done) {
  PutUpdate(InternalHref(href), builder_.PutAttendee(href, object.Serialize(),
                                 static_cast<size_t>(object.attendee_count()), condition),
            std::move(done));
}

void CalendarClient::UpdateOrganizer(absl::string_view href, const CalendarObject& object,
                                     const PutCondition& condition, StatusDone done) {
  PutUpdate(InternalHref(href), builder_.PutOrganizer(href, object.Serialize(),
                                  static_cast<size_t>(object.attendee_count()), condition),
            std::move(done));
}

void CalendarClient::PutUpdate(std::string href, CaldavRequest request, StatusDone done) {
  if (stopped_) return done(false, 0, kStoppedReason);
  Send(std::move(request), [this, href, done](CaldavResult& r) {
    if (r.ok() && r.status() != 412 && !r.etag().empty()) {
      // The server kept the body as sent: the cache is current (else the next sync fetches it).
      if (CachedCalendar* cal = CalendarOf(href); cal != nullptr) {
        auto it = cal->items.find(href);
        if (it != cal->items.end()) it->second.etag = r.etag();
      }
    }
    done(r.ok(), r.status(), r.reason);
  });
}

void CalendarClient::GetEvent(absl::string_view href, FetchDone done) {
  FetchedItem fetched;
  if (stopped_) {
    fetched.reason = kStoppedReason;
    return done(fetched);
  }
  std::string item_href = InternalHref(href);
  Send(builder_.Get(item_href), [this, item_href, done](CaldavResult& r) {
    FetchedItem fetched;
    fetched.status = r.status();
    fetched.reason = r.reason;
    if (!r.ok()) return done(fetched);
    absl::StatusOr<CalendarObject> object = CalendarObject::Parse(r.response.body);
    if (!object.ok()) {
      fetched.reason = absl::StrCat("GET{event} ", item_href, ": ", object.status().message());
      return done(fetched);
    }
    fetched.ok = true;
    fetched.etag = r.etag();
    fetched.schedule_tag = r.schedule_tag();
    if (CachedCalendar* cal = CalendarOf(item_href); cal != nullptr) {
      CachedItem& item = cal->items[item_href];
      item.etag = fetched.etag;
      item.uid = object->uid();
      item.summary = object->summary();
      item.kind = object->kind();
      Notify(*cal, item_href, *object, fetched.etag, fetched.schedule_tag);
    }
    fetched.object = *std::move(object);
    done(fetched);
  });
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
