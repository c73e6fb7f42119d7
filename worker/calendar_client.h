// CalendarClient: one simulated Apple calendar client (OS_X_10_6, OS_X_10_7 or iOS_5, spec 3.1)
// for one user, driven by timers of one EventLoop.
//
// Start() runs the startup operation (spec 3.3, recorded as "startup: <title>"): principal
// discovery (PROPFIND{well-known} for the softwares that do it, else PROPFIND{find-principal}
// on principalPathTemplate % uid), PROPFIND{principal} for the calendar home, PROPFIND{home}
// to list the calendars, provisioning (MKCALENDAR of one VEVENT and one VTODO calendar when
// the home has none, as Radicale needs) and the first poll. Then a "poll" operation runs every
// poll interval (the first one at a random point of the first interval, so clients are not in
// phase; fixed-rate after that, ticks skipped while a poll runs). A poll lists the home (the
// first poll also sets color, order and time zone with PROPPATCH{calendar} on each calendar)
// and syncs every new or changed calendar with the software's strategy (sync-collection
// REPORT, calendar-query time range, or PROPFIND Depth 1), applies deletions (404 entries and
// hrefs no longer listed), fetches changed items with calendar-multiget batches and keeps them,
// parsed, in an in-memory cache.
//
// Fixes of spec 9.4: a failed request only fails its operation, the next poll still happens
// (item 12); a failed startup leaves the client not started and is retried one poll interval
// later (item 13); incremental syncs apply deletions and full syncs keep unchanged items, and
// calendars gone from the home are forgotten (item 15). Deliberate omissions (documented in
// the report of the change): REPORT{pset} and REPORT{expand} (Radicale has neither), XMPP push
// and notification collections.
//
// AMP push (spec 3.7, amp_push.h): when the home has a CS:pushkey and options.amp_push, the
// client subscribes after start-up; polls are skipped while subscribed, run while the push host
// is unreachable or gone (item 14), and a notification runs a "push" operation. Client data
// (client_state.h): with options.state_path the client's state is written at Stop and, with
// use_old_data, restored at the first Start, which then skips discovery.
//
// Scheduling (spec 3.5, for the Inviter, RealisticInviter and Accepter profiles): the
// principal's calendar-user address (mailto:), outbox and principal collection are kept from
// PROPFIND{principal}; AddInvite does the attendee lookups of the OS X softwares (REPORT{psearch}
// and POST{fb-small} per invitee, when the server has a principal collection and an outbox)
// and PUT{organizer-<size>}; UpdateAttendee / UpdateOrganizer PUT a changed event; GetEvent
// re-reads one. Item observers (the original's eventChanged) see every item a multiget or a
// GetEvent fetched, parsed, with its schedule tag; bodies are not kept in the cache (spec
// 9.4-19: the observer keeps what it needs).
//
// Every request is recorded under its label with its latency (a 401 exchange apart as
// AUTH{scheme}, as the Robot does) and success; operations under their operation label with
// the duration from their due time. Not thread-safe: the client, its profiles and its
// transport belong to the loop's thread. Destroying the client drops pending callbacks.
#ifndef LOADSIM_WORKER_CALENDAR_CLIENT_H_
#define LOADSIM_WORKER_CALENDAR_CLIENT_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/random.h"
#include "worker/caldav_client.h"
#include "worker/caldav_requests.h"
#include "worker/event_loop.h"
#include "worker/http_auth.h"
#include "worker/http_engine.h"
#include "worker/ical.h"
#include "worker/recorder.h"

namespace loadsim {

// The reason of a step refused because the client is stopped.
inline constexpr char kStoppedReason[] = "stopped";

struct CalendarClientOptions {
  const SoftwareTraits* traits = nullptr;  // required
  std::string root;                        // server base URL, e.g. "http://127.0.0.1:8008"
  std::string principal_path_template = "/principals/users/%s/";  // "%s" -> uid
  std::string title;                                              // "" -> traits->client_type
  double poll_interval_s = 900;
  std::string uid;  // the account
  std::string password;
  std::string email;  // without mailto:; used when the server has no address set
  uint64_t seed = 1;  // for jitter, auth cnonces and profile choices
  // AMP push (spec 3.7, amp_push.h): used when the home has a CS:pushkey and a host is given
  // (the configuration defaults it to the server's host). Polls are skipped while subscribed
  // and resume while the push host is down.
  bool amp_push = false;
  std::string amp_push_host;
  int amp_push_port = 62311;
  double amp_backoff_initial_s = 1;  // reconnect delays (doubling, jittered)
  double amp_backoff_max_s = 60;
  // Client data serialization (client_state.h): the state file ("" = none), written when the
  // client stops; read at the first start when use_old_data (discovery is then skipped).
  std::string state_path;
  bool use_old_data = false;
  // Per-request timeout (0 = none), so a server that never answers fails the request instead
  // of stalling the client's polls forever.
  double request_timeout_s = 120;
};

class AmpPushClient;

// A random version-4 UUID in lower case (the clients' uuid4()).
std::string RandomUuid(RandomStream& rng);

// One cached calendar object resource.
struct CachedItem {
  std::string etag;
  std::string uid;
  std::string summary;
  ComponentKind kind = ComponentKind::kNone;
};

// One calendar (or inbox) of the home, as listed by PROPFIND{home}.
struct CachedCalendar {
  std::string href;                     // internal form, with a trailing '/'
  std::string name;                     // displayname
  std::vector<std::string> components;  // upper-cased supported components
  bool inbox = false;
  bool sync_report = false;  // the calendar (or its home) advertises sync-collection
  std::string token;         // the change token of the last complete sync ("" before)
  std::string sync_token;    // sync-collection token of the last complete sync
  std::map<std::string, CachedItem> items;  // by href

  bool Supports(absl::string_view component) const;
};

// What a client knows about its account, kept between runs (client_state.h).
struct ClientSnapshot {
  std::string principal;
  std::string home;
  bool sync_mode = false;
  std::string push_key;
  std::map<std::string, CachedCalendar> calendars;  // by href
};

class CalendarClient {
 public:
  // Called when an action finishes: ok, and the failure reason otherwise.
  using ActionDone = std::function<void(bool ok, const std::string& reason)>;
  // The same with the final HTTP status (0: no response), for callers that treat 412 apart.
  using StatusDone = std::function<void(bool ok, int status, const std::string& reason)>;
  // One item fetched from the server (multiget or GetEvent); valid during the call only.
  struct ItemChange {
    const CachedCalendar& calendar;
    const std::string& href;
    const CalendarObject& object;
    const std::string& etag;
    const std::string& schedule_tag;  // "" if the server sent none
  };
  using ItemObserver = std::function<void(const ItemChange&)>;
  // The outcome of GetEvent.
  struct FetchedItem {
    bool ok = false;
    int status = 0;  // 0: no response
    std::string reason;
    std::optional<CalendarObject> object;  // set when ok
    std::string etag;
    std::string schedule_tag;
  };
  using FetchDone = std::function<void(FetchedItem& item)>;

  // `transport` is the client's own (keep-alive pool); `recorder` must outlive the client.
  static absl::StatusOr<std::unique_ptr<CalendarClient>> Create(
      CalendarClientOptions options, EventLoop* loop, std::unique_ptr<HttpTransport> transport,
      Recorder* recorder);
  ~CalendarClient();
  CalendarClient(const CalendarClient&) = delete;
  CalendarClient& operator=(const CalendarClient&) = delete;

  // Starts the startup operation now; nothing new is started at or after `stop_ns` (0: never).
  void Start(int64_t stop_ns = 0);
  // Stops issuing work now (in-flight requests complete and are recorded).
  void Stop();

  // True once a startup operation has succeeded.
  bool started() const { return started_; }
  bool stopped() const { return stopped_; }
  // Requests of this client in flight or queued (the runtime drains them at the end).
  bool busy() const { return transport_->in_flight() > 0 || transport_->queued() > 0; }
  const std::string& title() const { return title_; }
  const SoftwareTraits& traits() const { return *options_.traits; }
  const std::string& home() const { return home_; }
  // Completed poll operations (successful or not), startup's first poll included.
  int polls() const { return polls_; }
  const std::map<std::string, CachedCalendar>& calendars() const { return calendars_; }
  // Calendars (not inboxes) that support `component` ("VEVENT", "VTODO").
  std::vector<const CachedCalendar*> CalendarsFor(absl::string_view component) const;
  // The cached item at `href` in any calendar; null if none.
  const CachedItem* FindItem(absl::string_view href) const;
  // The own calendar-user address: the principal's mailto: address, else "mailto:" + the
  // account's email; "" before startup when the account has no email.
  std::string address() const;
  const std::string& outbox() const { return outbox_; }
  const std::string& principal_collection() const { return principal_collection_; }

  EventLoop* loop() const { return loop_; }
  Recorder* recorder() const { return recorder_; }
  // Records an operation of a profile (create, invite, accept, ...). An operation that failed
  // only because the client was stopped (reason kStoppedReason: the run ended or the populus
  // factor switched the user off) is not recorded: the simulator ended it, not the server.
  void RecordOperation(absl::string_view label, int64_t latency_ns, bool ok,
                       const std::string& reason) const;
  RandomStream& rng() { return rng_; }

  // --- Actions for profiles (spec 3.5) ---
  // PUT{event} of `object` (VTIMEZONEs added) at <calendar><uid>.ics with If-None-Match: *;
  // on success the item is cached with the returned etag. Used for events and tasks alike.
  void AddEvent(absl::string_view calendar, CalendarObject object, ActionDone done);
  void AddTask(absl::string_view calendar, CalendarObject object, ActionDone done) {
    AddEvent(calendar, std::move(object), std::move(done));
  }
  // Removes the item from the cache, then DELETE{event}, If-Match `if_match` when not empty.
  // `also_expected` widens the statuses counted as success (the Accepter's cancel accepts
  // 404: the server may have removed the attendee's copy itself).
  void DeleteEvent(absl::string_view href, ActionDone done, std::vector<int> also_expected = {},
                   absl::string_view if_match = "");
  // The Accepter's DELETE{event} of a handled inbox message: If-Match its `etag` (when not
  // empty), so that a newer message the server wrote at the same href is not deleted unseen
  // (DAViCal names every message of one event <uid>.ics). A 412 is a success: the newer
  // message stays and is reported by the next poll.
  void DeleteInboxItem(absl::string_view href, absl::string_view etag, ActionDone done) {
    DeleteEvent(href, std::move(done), etag.empty() ? std::vector<int>{} : std::vector<int>{412},
                etag);
  }

  // --- Scheduling actions (spec 3.5) ---
  // The organizer's new invitation: attendee lookups (OS X softwares, when the server has a
  // principal collection and an outbox) for every attendee that is not the client itself,
  // then PUT{organizer-<size>} with If-None-Match: * at <calendar><uid>.ics. `done` reports
  // the PUT (a failed lookup is a failed request, the invitation is still sent).
  void AddInvite(absl::string_view calendar, CalendarObject object, ActionDone done);
  // The attendee lookups alone for `addresses` (the legacy Inviter's new attendee): nothing
  // for softwares without lookups or servers without principal collection or outbox.
  void LookUpAttendees(std::vector<std::string> addresses, const CalendarObject& event,
                       ActionDone done);
  // PUT{attendee-<size>}: the attendee's changed copy (the Accepter), with `condition`.
  void UpdateAttendee(absl::string_view href, const CalendarObject& object,
                      const PutCondition& condition, StatusDone done);
  // PUT{organizer-<size>}: the organizer's changed event (the legacy Inviter).
  void UpdateOrganizer(absl::string_view href, const CalendarObject& object,
                       const PutCondition& condition, StatusDone done);
  // GET{event}: re-reads one item, updates the cache and tells the item observers.
  void GetEvent(absl::string_view href, FetchDone done);
  // Item observers; the id is for RemoveItemObserver. Observers must not destroy the client.
  int AddItemObserver(ItemObserver observer);
  void RemoveItemObserver(int id);
  // Runs a poll operation now (for tests); `done` when it is over.
  void PollNow(ActionDone done);

  // --- Client data serialization (client_state.h) ---
  const CalendarClientOptions& options() const { return options_; }
  ClientSnapshot Snapshot() const;
  // Before the first Start: the start-up then skips discovery and resyncs only calendars whose
  // token changed.
  void Restore(ClientSnapshot snapshot);
  // The push connection (null when push is not in use) and the home's push key.
  const AmpPushClient* push() const { return push_.get(); }
  const std::string& push_key() const { return push_key_; }

 private:
  using Step = std::function<void(bool ok, const std::string& reason)>;
  CalendarClient(CalendarClientOptions options, EventLoop* loop,
                 std::unique_ptr<HttpTransport> transport, Recorder* recorder);

  // Sends and records `request`; `done` runs unless the client was destroyed. `check`, when
  // given, looks at a successful answer before it is recorded and returns why its content is
  // unusable ("" if it is fine); the request then counts as failed (kMalformed, that reason).
  using Check = std::function<std::string(const CaldavResult&)>;
  void Send(CaldavRequest request, std::function<void(CaldavResult&)> done, Check check = nullptr);

  void RunStartup();
  void Discover(Step done);
  void OnPrincipal(const std::string& principal, Step done);
  void Provision(Step done);
  void SchedulePoll(int64_t due_ns);
  // A "poll" operation (or "push" when a notification triggered it).
  void Poll(bool first, Step done, const char* operation = "poll");
  // AMP push (amp_push.h): subscribe once started, when the home has a push key.
  void StartPush();
  void OnPushNotification();
  void OnHomeListing(CaldavResult& result, bool first, Step done);
  // Sends `requests` one after the other; done(all succeeded, the failure reasons).
  void SendAll(std::shared_ptr<std::deque<CaldavRequest>> requests, Step done, bool all_ok,
               std::string reason);
  void SyncNext(std::shared_ptr<std::deque<std::string>> queue, Step done, bool all_ok,
                std::string reason);
  void SyncCalendar(const std::string& href, Step done);
  void SyncCollection(const std::string& href, const std::string& token, Step done);
  // Applies a listing (href -> etag; absent etag = 404/deleted); full: remove unlisted items.
  void ApplyListing(const std::string& href,
                    const std::vector<std::pair<std::string, std::optional<std::string>>>& listing,
                    bool full, const std::string& new_token, bool sync_token, Step done);
  void Multiget(const std::string& href, std::shared_ptr<std::deque<CaldavRequest>> batches,
                const std::string& new_token, bool sync_token, Step done);
  CachedCalendar* FindCalendar(absl::string_view href);
  // The calendar holding `href` (its parent collection); null if unknown.
  CachedCalendar* CalendarOf(absl::string_view href);
  void Notify(const CachedCalendar& calendar, const std::string& href,
              const CalendarObject& object, const std::string& etag,
              const std::string& schedule_tag);
  void PutNew(absl::string_view calendar, CalendarObject object, bool invite, ActionDone done);
  void Lookups(std::shared_ptr<std::deque<std::string>> attendees, absl::Time day,
               const std::string& uid, Step done);
  void PutUpdate(std::string href, CaldavRequest request, StatusDone done);

  CalendarClientOptions options_;
  std::string title_;
  EventLoop* loop_;
  std::unique_ptr<HttpTransport> transport_;
  Recorder* recorder_;
  RandomStream rng_;
  AuthSession auth_;
  CaldavSession session_;
  RequestBuilder builder_;
  std::shared_ptr<bool> alive_;

  int64_t stop_ns_ = 0;
  bool stopped_ = false;
  bool started_ = false;
  bool starting_ = false;
  bool polling_ = false;
  bool sync_mode_ = false;
  int polls_ = 0;
  int64_t interval_ns_ = 0;
  EventLoop::TimerId timer_ = 0;
  std::string principal_;
  std::string home_;
  std::string address_;  // the principal's mailto: calendar-user address
  std::string outbox_;
  std::string principal_collection_;
  std::vector<std::pair<int, ItemObserver>> observers_;
  int next_observer_ = 1;
  std::map<std::string, CachedCalendar> calendars_;    // by href
  std::map<std::string, std::string> pending_tokens_;  // listed token of a calendar being synced
  std::string push_key_;                  // the home's CS:pushkey ("" if none)
  std::unique_ptr<AmpPushClient> push_;   // while push is in use
  bool push_pending_ = false;             // a notification came during a poll
  bool push_was_down_ = false;            // the push connection failed since it was last up
  bool state_loaded_ = false;             // client data was read (or tried) at the first start
  bool restored_ = false;                 // principal and home come from client data
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_CALENDAR_CLIENT_H_
