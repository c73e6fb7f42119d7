#include "worker/caldav_client.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/servers/radicale_server.h"
#include "worker/caldav_requests.h"
#include "worker/dav_xml.h"
#include "worker/event_loop.h"
#include "worker/http_auth.h"
#include "worker/http_engine.h"
#include "worker/ical.h"
#include "worker/multistatus.h"

namespace loadsim {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Records submitted requests; the test answers them in order.
class FakeTransport : public HttpTransport {
 public:
  void Submit(HttpRequest req, HttpDone done) override {
    requests.push_back(std::move(req));
    pending.push_back(std::move(done));
  }
  int in_flight() const override { return static_cast<int>(pending.size()); }
  size_t queued() const override { return 0; }

  void Reply(long status, std::string body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    r.sent_ns = 100;
    r.done_ns = 350;
    ReplyWith(r);
  }
  void ReplyWith(HttpResponse r) {
    ASSERT_FALSE(pending.empty());
    HttpDone done = std::move(pending.front());
    pending.pop_front();
    done(r);
  }

  std::vector<HttpRequest> requests;
  std::deque<HttpDone> pending;
};

constexpr char kSmallMultistatus[] =
    "<multistatus xmlns=\"DAV:\"><response><href>/a/</href><propstat><prop>"
    "<getetag>\"1\"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
    "</multistatus>";

class CaldavSessionTest : public ::testing::Test {
 protected:
  RequestBuilder builder_{TraitsOf(ClientSoftware::kOsX10_7), "http://127.0.0.1:1"};
  FakeTransport transport_;
  std::vector<CaldavResult> results_;
  CaldavCallback Collect() {
    return [this](CaldavResult& r) { results_.push_back(std::move(r)); };
  }
};

TEST_F(CaldavSessionTest, ExpectedMultistatusIsParsed) {
  CaldavSession session(&transport_, nullptr);
  session.Send(builder_.CalendarItems("/a/"), Collect());
  ASSERT_EQ(transport_.requests.size(), 1u);
  EXPECT_EQ(transport_.requests[0].method, "PROPFIND");
  transport_.Reply(207, kSmallMultistatus, {{"etag", "\"x\""}, {"dav", "1, 2"}, {"dav", "3"}});
  ASSERT_EQ(results_.size(), 1u);
  const CaldavResult& r = results_[0];
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.label, "PROPFIND{calendar}");
  EXPECT_EQ(r.status(), 207);
  EXPECT_EQ(r.reason, "");
  ASSERT_TRUE(r.multistatus.has_value());
  EXPECT_EQ(*r.multistatus->Find("/a")->props.getetag, "\"1\"");
  EXPECT_EQ(r.sent_ns(), 100);
  EXPECT_EQ(r.done_ns(), 350);
  EXPECT_EQ(r.duration_ns(), 250);
  EXPECT_EQ(r.etag(), "\"x\"");
  EXPECT_EQ(r.schedule_tag(), "");
  EXPECT_EQ(ParseDavHeader(r.HeaderValues("dav")).tokens.size(), 3u);
  EXPECT_FALSE(r.auth.had_challenge);
}

TEST_F(CaldavSessionTest, UnexpectedStatusMalformedBodyAndTransportFailure) {
  CaldavSession session(&transport_, nullptr);
  session.Send(builder_.Get("/a/x.ics"), Collect());
  transport_.Reply(404, "not here");
  session.Send(builder_.HomeProperties("/a/"), Collect());
  transport_.Reply(207, "<multistatus xmlns=\"DAV:\"><response>");
  session.Send(builder_.Delete("/a/x.ics"), Collect());
  HttpResponse refused;
  refused.failure = Failure::kConnect;
  refused.error = "Couldn't connect to server";
  transport_.ReplyWith(refused);
  // A 207 where 200 was wanted: a status failure, but the body is still parsed.
  CaldavRequest only_200 = builder_.Get("/a/");
  session.Send(only_200, Collect());
  transport_.Reply(207, kSmallMultistatus);
  ASSERT_EQ(results_.size(), 4u);
  EXPECT_EQ(results_[0].failure, Failure::kHttpStatus);
  EXPECT_EQ(results_[0].reason, "HTTP 404");
  EXPECT_EQ(results_[1].failure, Failure::kMalformed);
  EXPECT_THAT(results_[1].reason, HasSubstr("malformed XML"));
  EXPECT_FALSE(results_[1].multistatus.has_value());
  EXPECT_EQ(results_[2].failure, Failure::kConnect);
  EXPECT_EQ(results_[2].reason, "Couldn't connect to server");
  EXPECT_EQ(results_[3].failure, Failure::kHttpStatus);
  EXPECT_EQ(results_[3].reason, "HTTP 207");
  EXPECT_TRUE(results_[3].multistatus.has_value());
}

TEST_F(CaldavSessionTest, EmptyExpectedSetMeansAny2xx) {
  HttpResponse ok;
  ok.status = 204;
  EXPECT_TRUE(ClassifyResponse("X", {}, ok, AuthExchange{}).ok());
  HttpResponse moved;
  moved.status = 301;
  CaldavResult r = ClassifyResponse("X", {}, moved, AuthExchange{});
  EXPECT_EQ(r.failure, Failure::kHttpStatus);
  EXPECT_EQ(r.reason, "HTTP 301");
  HttpResponse radicale_delete;  // 200 with a multistatus body: not parsed, accepted
  radicale_delete.status = 200;
  radicale_delete.body = kSmallMultistatus;
  CaldavResult d = ClassifyResponse("DELETE{event}", {204, 200}, radicale_delete, AuthExchange{});
  EXPECT_TRUE(d.ok());
  EXPECT_FALSE(d.multistatus.has_value());
}

TEST_F(CaldavSessionTest, AuthenticatesAndOutlivesNothing) {
  AuthSession auth("user01", "pass01", 3);
  auto session = std::make_unique<CaldavSession>(&transport_, &auth);
  session->Send(builder_.PrincipalProperties("/user01/"), Collect());
  session.reset();  // in-flight requests do not depend on the session object
  ASSERT_EQ(transport_.requests.size(), 1u);
  transport_.Reply(401, "", {{"www-authenticate", "Basic realm=\"r\""}});
  ASSERT_EQ(transport_.requests.size(), 2u);  // repeated with credentials
  bool has_auth = false;
  for (const std::string& h : transport_.requests[1].headers) {
    has_auth = has_auth || absl::StartsWith(h, "Authorization: Basic ");
  }
  EXPECT_TRUE(has_auth);
  transport_.Reply(207, kSmallMultistatus);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
  EXPECT_TRUE(results_[0].auth.had_challenge);
}

// End to end against a real Radicale: discovery, calendars, items, sync with deletions.
class CaldavRadicaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(radicale_.Start(3));
    loop_ = *EventLoop::Create();
    engine_ = *HttpEngine::Create(loop_.get());
    pool_ = std::make_unique<ConnectionPool>(engine_.get(), ConnectionLimits{});
    auth_ = std::make_unique<AuthSession>("user01", "pass01", 11);
    session_ = std::make_unique<CaldavSession>(pool_.get(), auth_.get());
  }
  void TearDown() override {
    session_.reset();
    pool_.reset();
    engine_.reset();
  }
  // Sends and runs the loop until the answer is in.
  CaldavResult SendRaw(CaldavRequest req) {
    std::vector<CaldavResult> got;
    std::string what = absl::StrCat(req.label, " ", req.http.url);
    session_->Send(std::move(req), [&got](CaldavResult& r) { got.push_back(std::move(r)); });
    int64_t deadline = MonotonicNowNs() + 20000000000LL;
    while (got.empty() && MonotonicNowNs() < deadline) loop_->Run(MonotonicNowNs() + 20000000);
    EXPECT_EQ(got.size(), 1u) << what;
    return got.empty() ? CaldavResult{} : std::move(got[0]);
  }
  // The same, expecting success.
  CaldavResult Send(CaldavRequest req) {
    std::string what = absl::StrCat(req.label, " ", req.http.url);
    CaldavResult r = SendRaw(std::move(req));
    EXPECT_TRUE(r.ok()) << what << ": " << r.reason << "\n" << r.response.body;
    return r;
  }

  testing::RadicaleServer radicale_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<HttpEngine> engine_;
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<AuthSession> auth_;
  std::unique_ptr<CaldavSession> session_;
};

std::string EventIcs(const std::string& uid, absl::Duration from_now) {
  EventSpec e;
  e.uid = uid;
  e.created = absl::Now();
  e.start = absl::Now() + from_now;
  e.tzid = "America/New_York";
  e.attendees.push_back(Invitee("mailto:user02@example.com", "User 02"));
  absl::StatusOr<CalendarObject> obj = CalendarObject::NewEvent(e);
  EXPECT_TRUE(obj.ok()) << obj.status();
  return obj.ok() ? obj->Serialize() : "";
}

TEST_F(CaldavRadicaleTest, DiscoverCreateSyncAndDelete) {
  RequestBuilder b(TraitsOf(ClientSoftware::kOsX10_7), radicale_.Url("/"));

  // Discovery: current-user-principal, then the principal's calendar-home-set.
  CaldavResult found = Send(b.FindPrincipal("/user01/"));
  ASSERT_TRUE(found.multistatus.has_value());
  const MultistatusResponse* me = found.multistatus->Find("/user01");
  ASSERT_NE(me, nullptr);
  std::string principal = me->props.current_user_principal;
  EXPECT_EQ(principal, "/user01/");
  EXPECT_TRUE(found.auth.had_challenge);
  CaldavResult props = Send(b.PrincipalProperties(principal));
  ASSERT_TRUE(props.multistatus.has_value());
  const MultistatusResponse* p = props.multistatus->Find(principal);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->props.calendar_home_set.size(), 1u);
  std::string home = p->props.calendar_home_set[0];
  EXPECT_EQ(home, "/user01/");
  EXPECT_EQ(p->PropertyStatus(kCaldavNs, "schedule-outbox-URL"), 404);  // no RFC 6638

  CaldavResult options = Send(b.Options(home));
  DavFeatures dav = ParseDavHeader(options.HeaderValues("dav"));
  EXPECT_TRUE(dav.calendar_access());
  EXPECT_FALSE(dav.calendar_auto_schedule());

  // Two calendars, listed with their component sets.
  Send(b.MakeCalendar(home + "events/", "VEVENT", "Events & more"));
  Send(b.MakeCalendar(home + "tasks", "VTODO", "Tasks"));
  CaldavResult listing = Send(b.HomeProperties(home));
  ASSERT_TRUE(listing.multistatus.has_value());
  const MultistatusResponse* events = listing.multistatus->Find(home + "events");
  const MultistatusResponse* tasks = listing.multistatus->Find(home + "tasks/");
  ASSERT_NE(events, nullptr);
  ASSERT_NE(tasks, nullptr);
  EXPECT_TRUE(events->props.resourcetype->calendar);
  EXPECT_TRUE(events->props.SupportsComponent("VEVENT"));
  EXPECT_FALSE(events->props.SupportsComponent("VTODO"));
  EXPECT_TRUE(tasks->props.SupportsComponent("VTODO"));
  EXPECT_EQ(*events->props.displayname, "Events & more");
  EXPECT_TRUE(events->props.sync_token.has_value());
  EXPECT_TRUE(events->props.getctag.has_value());
  std::string events_url = events->href;

  absl::StatusOr<std::vector<CaldavRequest>> patches = b.FirstPollProppatches(events_url);
  ASSERT_TRUE(patches.ok()) << patches.status();
  for (CaldavRequest& r : *patches) Send(std::move(r));

  // Items: two events (one with a name that needs escaping) and a task.
  std::string keep = events_url + "keep me&you.ics";
  std::string gone = events_url + "gone.ics";
  Send(b.PutEvent(keep, EventIcs("uid-keep", absl::Hours(48)), PutCondition::Create()));
  CaldavResult put = Send(b.PutEvent(gone, EventIcs("uid-gone", absl::Hours(72))));
  EXPECT_EQ(put.status(), 201);
  TaskSpec t;
  t.uid = "uid-task";
  t.created = absl::Now();
  t.due = absl::Now() + absl::Hours(5);
  Send(b.PutEvent(tasks->href + "task.ics", CalendarObject::NewTask(t)->Serialize(),
                  PutCondition::Create()));
  // Creating the same href again is refused by If-None-Match.
  CaldavRequest again =
      b.PutEvent(gone, EventIcs("uid-gone", absl::Hours(72)), PutCondition::Create());
  again.expected = {412};
  Send(std::move(again));

  // Initial sync: a token and both events.
  CaldavResult init = Send(b.SyncCollection(events_url, ""));
  EXPECT_EQ(init.label, "REPORT{sync-init}");
  ASSERT_TRUE(init.multistatus.has_value());
  ASSERT_TRUE(init.multistatus->sync_token.has_value());
  std::string token = *init.multistatus->sync_token;
  const MultistatusResponse* kept = init.multistatus->Find(keep);
  ASSERT_NE(kept, nullptr) << init.response.body;
  ASSERT_TRUE(kept->props.getetag.has_value());
  EXPECT_NE(init.multistatus->Find(gone), nullptr);

  // Multiget returns calendar data that parses.
  CaldavResult got = Send(b.Multiget(events_url, {keep, gone}));
  EXPECT_EQ(got.label, "REPORT{multiget-small}");
  ASSERT_TRUE(got.multistatus.has_value());
  ASSERT_EQ(got.multistatus->responses.size(), 2u);
  for (const char* uid : {"uid-keep", "uid-gone"}) {
    const MultistatusResponse* r =
        got.multistatus->Find(std::string(uid) == "uid-keep" ? keep : gone);
    ASSERT_NE(r, nullptr);
    ASSERT_TRUE(r->props.calendar_data.has_value());
    absl::StatusOr<CalendarObject> obj = CalendarObject::Parse(*r->props.calendar_data);
    ASSERT_TRUE(obj.ok()) << obj.status();
    EXPECT_EQ(obj->uid(), uid);
    EXPECT_EQ(obj->attendee_count(), 1);
  }

  // The other sync strategies see the same items.
  CaldavResult listing_d1 = Send(b.CalendarItems(events_url));
  EXPECT_NE(listing_d1.multistatus->Find(keep), nullptr);
  CaldavResult range = Send(b.EventQuery(events_url, absl::Now()));
  EXPECT_EQ(range.multistatus->responses.size(), 2u) << range.response.body;
  CaldavResult todos = Send(b.TaskQuery(tasks->href));
  ASSERT_EQ(todos.multistatus->responses.size(), 1u) << todos.response.body;
  EXPECT_TRUE(SameHref(todos.multistatus->responses[0].href, tasks->href + "task.ics"));

  // GET and a conditional update (the attendee accepts).
  CaldavResult fetched = Send(b.Get(keep));
  absl::StatusOr<CalendarObject> mine = CalendarObject::Parse(fetched.response.body);
  ASSERT_TRUE(mine.ok()) << mine.status();
  ASSERT_TRUE(mine->SetAttendeePartstat("mailto:user02@example.com", "ACCEPTED").ok());
  CaldavResult accepted = Send(b.PutAttendee(keep, mine->Serialize(), mine->attendee_count(),
                                             PutCondition::IfMatch(fetched.etag())));
  EXPECT_THAT(accepted.status(), AnyOf(200, 201, 204));  // Radicale: 201 for updates too
  CaldavRequest stale =
      b.PutAttendee(keep, mine->Serialize(), 1, PutCondition::IfMatch(fetched.etag()));
  CaldavResult refused = Send(std::move(stale));
  EXPECT_EQ(refused.status(), 412);  // the etag changed with the update

  // DELETE answers 200 with a multistatus on Radicale (204 elsewhere); both are fine.
  CaldavResult deleted = Send(b.Delete(gone));
  EXPECT_THAT(deleted.status(), AnyOf(200, 204));

  // Incremental sync reports the deleted href with a 404 and the changed one with its etag.
  CaldavResult delta = Send(b.SyncCollection(events_url, token));
  EXPECT_EQ(delta.label, "REPORT{sync}");
  ASSERT_TRUE(delta.multistatus.has_value());
  const MultistatusResponse* removed = delta.multistatus->Find(gone);
  ASSERT_NE(removed, nullptr) << delta.response.body;
  EXPECT_EQ(removed->status, 404);
  EXPECT_FALSE(removed->found());
  const MultistatusResponse* changed = delta.multistatus->Find(keep);
  ASSERT_NE(changed, nullptr);
  EXPECT_TRUE(changed->found());
  EXPECT_NE(*changed->props.getetag, *kept->props.getetag);
  ASSERT_TRUE(delta.multistatus->sync_token.has_value());
  EXPECT_NE(*delta.multistatus->sync_token, token);

  // A token the server never issued: 403 (expected), which the client answers with a full sync.
  CaldavResult bogus = Send(b.SyncCollection(events_url, "http://radicale.org/ns/sync/0000"));
  EXPECT_EQ(bogus.status(), 403);
}

TEST_F(CaldavRadicaleTest, OtherUsersHomeIsRefused) {
  RequestBuilder b(TraitsOf(ClientSoftware::kIos5), radicale_.Url("/"));
  Send(b.FindPrincipal("/user01/"));
  CaldavResult other = SendRaw(b.HomeProperties("/user02/"));
  EXPECT_EQ(other.failure, Failure::kHttpStatus);
  EXPECT_EQ(other.reason, "HTTP 403");
}

}  // namespace
}  // namespace loadsim
