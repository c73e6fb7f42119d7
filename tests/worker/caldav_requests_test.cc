#include "worker/caldav_requests.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"
#include "worker/dav_xml.h"
#include "worker/ical.h"

namespace loadsim {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A request body parsed back: every element as "{namespace}local" in document order, with
// its direct text and attributes, namespaces resolved through the prefix declarations.
struct Element {
  std::string name;
  std::string text;
  std::map<std::string, std::string> attrs;
};

void Flatten(pugi::xml_node node, std::map<std::string, std::string> scope,
             std::vector<Element>* out) {
  for (pugi::xml_attribute a : node.attributes()) {
    std::string n = a.name();
    if (n == "xmlns") scope[""] = a.value();
    if (absl::StartsWith(n, "xmlns:")) scope[n.substr(6)] = a.value();
  }
  std::string qname = node.name();
  size_t colon = qname.find(':');
  std::string prefix = colon == std::string::npos ? "" : qname.substr(0, colon);
  Element e;
  e.name = absl::StrCat("{", scope[prefix], "}", qname.substr(colon + 1));
  e.text = node.text().get();
  for (pugi::xml_attribute a : node.attributes()) {
    if (!absl::StartsWith(a.name(), "xmlns")) e.attrs[a.name()] = a.value();
  }
  out->push_back(std::move(e));
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) Flatten(c, scope, out);
  }
}

std::vector<Element> ParseBody(const std::string& body) {
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_string(body.c_str());
  EXPECT_TRUE(r) << r.description() << "\n" << body;
  std::vector<Element> out;
  if (r) Flatten(doc.document_element(), {}, &out);
  return out;
}

std::vector<std::string> Names(const std::vector<Element>& elements) {
  std::vector<std::string> out;
  for (const Element& e : elements) out.push_back(e.name);
  return out;
}

std::vector<std::string> TextsOf(const std::vector<Element>& elements, absl::string_view name) {
  std::vector<std::string> out;
  for (const Element& e : elements) {
    if (e.name == name) out.push_back(e.text);
  }
  return out;
}

bool HasHeader(const CaldavRequest& r, absl::string_view header) {
  for (const std::string& h : r.http.headers) {
    if (h == header) return true;
  }
  return false;
}

std::string HeaderValue(const CaldavRequest& r, absl::string_view name) {
  for (const std::string& h : r.http.headers) {
    if (absl::StartsWithIgnoreCase(h, absl::StrCat(name, ": "))) return h.substr(name.size() + 2);
  }
  return "<none>";
}

constexpr char kD[] = "{DAV:}";
constexpr char kC[] = "{urn:ietf:params:xml:ns:caldav}";
constexpr char kCS[] = "{http://calendarserver.org/ns/}";

std::string D(absl::string_view n) { return absl::StrCat(kD, n); }
std::string C(absl::string_view n) { return absl::StrCat(kC, n); }
std::string CS(absl::string_view n) { return absl::StrCat(kCS, n); }

class CaldavRequestsTest : public ::testing::Test {
 protected:
  RequestBuilder b106_{TraitsOf(ClientSoftware::kOsX10_6), "http://127.0.0.1:8008/ignored"};
  RequestBuilder b107_{TraitsOf(ClientSoftware::kOsX10_7), "http://127.0.0.1:8008"};
  RequestBuilder ios_{TraitsOf(ClientSoftware::kIos5), "https://cal.example.com:8443/"};
};

TEST(CaldavTraitsTest, ThreeSoftwaresAsInTheSpecTable) {
  const SoftwareTraits& a = TraitsOf(ClientSoftware::kOsX10_6);
  const SoftwareTraits& b = TraitsOf(ClientSoftware::kOsX10_7);
  const SoftwareTraits& c = TraitsOf(ClientSoftware::kIos5);
  EXPECT_STREQ(a.client_type, "OS X 10.6");
  EXPECT_THAT(a.user_agent, HasSubstr("iCal/4.0.3 (1388)"));
  EXPECT_EQ(a.multiget_batch, 200);
  EXPECT_FALSE(a.sync_report);
  EXPECT_TRUE(a.attendee_lookups);
  EXPECT_FALSE(a.well_known_discovery);
  EXPECT_EQ(b.multiget_batch, 50);
  EXPECT_TRUE(b.sync_report);
  EXPECT_FALSE(b.time_range_sync);
  EXPECT_STREQ(c.user_agent, "iOS/5.1 (9B179) dataaccessd/1.0");
  EXPECT_TRUE(c.time_range_sync);
  EXPECT_FALSE(c.attendee_lookups);
  EXPECT_FALSE(c.expand_proxies);
  EXPECT_EQ(FindSoftware("OS_X_10_7"), &b);
  EXPECT_EQ(FindSoftware("contrib.performance.loadtest.ical.iOS_5"), &c);
  EXPECT_EQ(FindSoftware("OS_X_10_9"), nullptr);
  EXPECT_EQ(FindSoftware("Robot"), nullptr);
}

TEST(CaldavTraitsTest, SizeClassBoundaries) {
  EXPECT_EQ(SizeClass(0), "small");
  EXPECT_EQ(SizeClass(5), "small");
  EXPECT_EQ(SizeClass(6), "medium");
  EXPECT_EQ(SizeClass(20), "medium");
  EXPECT_EQ(SizeClass(21), "large");
  EXPECT_EQ(SizeClass(75), "large");
  EXPECT_EQ(SizeClass(76), "huge");
}

TEST_F(CaldavRequestsTest, DefaultHeadersPerSoftware) {
  CaldavRequest old = b106_.Get("/calendars/a.ics");
  EXPECT_EQ(HeaderValue(old, "User-Agent"), TraitsOf(ClientSoftware::kOsX10_6).user_agent);
  EXPECT_FALSE(HasHeader(old, "Accept: */*"));
  CaldavRequest lion = b107_.Get("/calendars/a.ics");
  EXPECT_TRUE(HasHeader(lion, "Accept: */*"));
  EXPECT_TRUE(HasHeader(lion, "Accept-Language: en-us"));
  EXPECT_TRUE(HasHeader(lion, "Connection: keep-alive"));
  EXPECT_EQ(HeaderValue(lion, "Accept-Encoding"), "<none>");  // the transport does not decode
  EXPECT_EQ(HeaderValue(ios_.Get("/a"), "User-Agent"), "iOS/5.1 (9B179) dataaccessd/1.0");
}

TEST_F(CaldavRequestsTest, UrlsUseTheOriginAndEncodeDecodedHrefs) {
  EXPECT_EQ(b106_.origin(), "http://127.0.0.1:8008");
  EXPECT_EQ(ios_.origin(), "https://cal.example.com:8443");
  EXPECT_EQ(b106_.Url("/a b/c&d<e>.ics"), "http://127.0.0.1:8008/a%20b/c&d%3Ce%3E.ics");
  EXPECT_EQ(b106_.Url("http://other:1/x%20y/"), "http://127.0.0.1:8008/x%20y/");
  EXPECT_EQ(b106_.Url("/100%/"), "http://127.0.0.1:8008/100%25/");
  EXPECT_EQ(b106_.Url("/caf\xc3\xa9/"), "http://127.0.0.1:8008/caf%C3%A9/");
  // A path is already decoded: a literal '%' in a name is kept, never decoded twice.
  EXPECT_EQ(b106_.Url("/c/a%41.ics"), "http://127.0.0.1:8008/c/a%2541.ics");
}

TEST_F(CaldavRequestsTest, WellKnownAndFindPrincipal) {
  CaldavRequest wk = b107_.WellKnown();
  EXPECT_EQ(wk.http.method, "PROPFIND");
  EXPECT_EQ(wk.http.url, "http://127.0.0.1:8008/.well-known/caldav/");
  EXPECT_EQ(wk.label, "PROPFIND{well-known}");
  EXPECT_THAT(wk.expected, ElementsAre(207, 301, 302));
  EXPECT_TRUE(HasHeader(wk, "Depth: 0"));
  EXPECT_TRUE(HasHeader(wk, "Content-Type: text/xml"));
  EXPECT_THAT(Names(ParseBody(wk.http.body)),
              ElementsAre(D("propfind"), D("prop"), D("current-user-principal"), D("principal-URL"),
                          D("resourcetype")));
  CaldavRequest again = b107_.WellKnownAt("/principals/");
  EXPECT_EQ(again.label, "PROPFIND{well-known}");
  EXPECT_THAT(again.expected, ElementsAre(207));

  CaldavRequest fp = b106_.FindPrincipal("/principals/users/user01/");
  EXPECT_EQ(fp.label, "PROPFIND{find-principal}");
  EXPECT_EQ(fp.http.url, "http://127.0.0.1:8008/principals/users/user01/");
  EXPECT_EQ(fp.http.body, wk.http.body);
}

TEST_F(CaldavRequestsTest, PrincipalPropertiesDifferBySoftware) {
  CaldavRequest a = b106_.PrincipalProperties("/principals/users/user01/");
  EXPECT_EQ(a.label, "PROPFIND{principal}");
  EXPECT_TRUE(HasHeader(a, "Depth: 0"));
  std::vector<std::string> old = Names(ParseBody(a.http.body));
  EXPECT_EQ(old.size(), 2u + 11u);
  EXPECT_THAT(old, Contains(C("calendar-home-set")));
  EXPECT_THAT(old, Contains(CS("xmpp-uri")));
  EXPECT_THAT(old, Not(Contains(D("resource-id"))));
  std::vector<std::string> lion = Names(ParseBody(b107_.PrincipalProperties("/p/").http.body));
  EXPECT_EQ(lion.size(), 2u + 14u);
  EXPECT_THAT(lion, Contains(CS("allowed-calendar-component-set")));
  EXPECT_THAT(lion, Contains(D("resource-id")));
  EXPECT_THAT(lion, Contains(C("schedule-outbox-URL")));
}

TEST_F(CaldavRequestsTest, PsetAndExpand) {
  CaldavRequest pset = b106_.PrincipalSearchPropertySet("/principals/");
  EXPECT_EQ(pset.http.method, "REPORT");
  EXPECT_EQ(pset.label, "REPORT{pset}");
  EXPECT_THAT(pset.expected, ElementsAre(200));
  EXPECT_TRUE(HasHeader(pset, "Depth: 0"));
  EXPECT_THAT(Names(ParseBody(pset.http.body)), ElementsAre(D("principal-search-property-set")));

  CaldavRequest ex = b106_.ExpandProxies("/principals/users/user01/");
  EXPECT_EQ(ex.label, "REPORT{expand}");
  EXPECT_EQ(HeaderValue(ex, "Depth"), "<none>");
  std::vector<Element> e = ParseBody(ex.http.body);
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e[0].name, D("expand-property"));
  EXPECT_EQ(e[1].attrs["name"], "calendar-proxy-write-for");
  EXPECT_EQ(e[1].attrs["namespace"], "http://calendarserver.org/ns/");
  EXPECT_EQ(e[2].attrs["name"], "displayname");
  EXPECT_EQ(e[4].attrs["namespace"], "urn:ietf:params:xml:ns:caldav");
  EXPECT_EQ(e[5].attrs["name"], "calendar-proxy-read-for");
  std::vector<Element> lion = ParseBody(b107_.ExpandProxies("/p/").http.body);
  ASSERT_EQ(lion.size(), 9u);
  EXPECT_EQ(lion[1].attrs["name"], "calendar-proxy-read-for");
  EXPECT_EQ(lion[3].attrs["name"], "email-address-set");
}

TEST_F(CaldavRequestsTest, HomePropfindDepthOneWithTrailingSlash) {
  CaldavRequest h = b107_.HomeProperties("/calendars/__uids__/user01");
  EXPECT_EQ(h.http.url, "http://127.0.0.1:8008/calendars/__uids__/user01/");
  EXPECT_EQ(h.label, "PROPFIND{home}");
  EXPECT_TRUE(HasHeader(h, "Depth: 1"));
  std::vector<std::string> lion = Names(ParseBody(h.http.body));
  EXPECT_EQ(lion.size(), 2u + 34u);
  EXPECT_THAT(lion, Contains(D("sync-token")));
  EXPECT_THAT(lion, Contains("{http://me.com/_namespace/}bulk-requests"));
  EXPECT_THAT(lion, Contains("{urn:ietf:params:xml:ns:carddav}max-image-size"));
  EXPECT_THAT(lion, Contains("{http://apple.com/ns/ical/}calendar-color"));
  std::vector<std::string> old = Names(ParseBody(b106_.HomeProperties("/h/").http.body));
  EXPECT_EQ(old.size(), 2u + 25u);
  EXPECT_THAT(old, Not(Contains(D("sync-token"))));
  EXPECT_THAT(old, Contains(CS("getctag")));
}

TEST_F(CaldavRequestsTest, CalendarAndNotificationPropfinds) {
  CaldavRequest c = b106_.CalendarItems("/h/cal/");
  EXPECT_EQ(c.label, "PROPFIND{calendar}");
  EXPECT_TRUE(HasHeader(c, "Depth: 1"));
  EXPECT_THAT(Names(ParseBody(c.http.body)),
              ElementsAre(D("propfind"), D("prop"), D("getetag"), D("resourcetype"),
                          CS("notificationtype")));
  EXPECT_THAT(Names(ParseBody(ios_.CalendarItems("/h/cal/").http.body)),
              ElementsAre(D("propfind"), D("prop"), D("getcontenttype"), D("getetag")));
  CaldavRequest n = b107_.NotificationItems("/h/notification/");
  EXPECT_EQ(n.label, "PROPFIND{notification}");
  EXPECT_TRUE(HasHeader(n, "Depth: 1"));
}

TEST_F(CaldavRequestsTest, ProppatchEscapesValuesAndFirstPollSets) {
  CaldavRequest p = b106_.Proppatch(
      "/h/cal/", {{kDavNs, "displayname", "A & <B>"}, {kAppleIcalNs, "calendar-order", "3"}});
  EXPECT_EQ(p.http.method, "PROPPATCH");
  EXPECT_EQ(p.label, "PROPPATCH{calendar}");
  EXPECT_EQ(HeaderValue(p, "Depth"), "<none>");
  EXPECT_THAT(p.expected, ElementsAre(200, 207));
  std::vector<Element> e = ParseBody(p.http.body);
  EXPECT_THAT(Names(e), ElementsAre(D("propertyupdate"), D("set"), D("prop"), D("displayname"),
                                    "{http://apple.com/ns/ical/}calendar-order"));
  EXPECT_EQ(e[3].text, "A & <B>");

  absl::StatusOr<std::vector<CaldavRequest>> osx = b107_.FirstPollProppatches("/h/cal/");
  ASSERT_TRUE(osx.ok()) << osx.status();
  ASSERT_EQ(osx->size(), 3u);
  EXPECT_EQ(ParseBody((*osx)[0].http.body)[3].text, "#882F00FF");
  EXPECT_EQ(ParseBody((*osx)[1].http.body)[3].text, "1");
  std::vector<Element> tz = ParseBody((*osx)[2].http.body);
  EXPECT_EQ(tz[3].name, C("calendar-timezone"));
  EXPECT_THAT(tz[3].text, HasSubstr("TZID:America/New_York"));
  absl::StatusOr<std::vector<CaldavRequest>> ios = ios_.FirstPollProppatches("/h/cal/");
  ASSERT_TRUE(ios.ok());
  ASSERT_EQ(ios->size(), 2u);
  EXPECT_EQ(ParseBody((*ios)[0].http.body)[3].text, "#711A76");
  EXPECT_EQ(ParseBody((*ios)[1].http.body)[3].text, "0");
}

TEST_F(CaldavRequestsTest, SyncCollectionInitialAndWithToken) {
  CaldavRequest init = b107_.SyncCollection("/h/cal/", "");
  EXPECT_EQ(init.label, "REPORT{sync-init}");
  EXPECT_EQ(init.http.method, "REPORT");
  EXPECT_TRUE(HasHeader(init, "Depth: 1"));
  EXPECT_THAT(init.expected, ElementsAre(207, 403));
  std::vector<Element> e = ParseBody(init.http.body);
  EXPECT_THAT(Names(e), ElementsAre(D("sync-collection"), D("sync-token"), D("sync-level"),
                                    D("prop"), D("getetag"), D("getcontenttype")));
  EXPECT_EQ(e[1].text, "");
  EXPECT_EQ(e[2].text, "1");
  CaldavRequest next = b107_.SyncCollection("/h/cal/", "http://radicale.org/ns/sync/a&b");
  EXPECT_EQ(next.label, "REPORT{sync}");
  EXPECT_EQ(ParseBody(next.http.body)[1].text, "http://radicale.org/ns/sync/a&b");
  RequestBuilder rfc(TraitsOf(ClientSoftware::kOsX10_7), "http://h", {/*rfc6578_sync_depth=*/true});
  EXPECT_TRUE(HasHeader(rfc.SyncCollection("/c/", "t"), "Depth: 0"));
}

TEST_F(CaldavRequestsTest, TimeRangeAndTaskQueries) {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2013, 10, 21, 23, 59, 0), absl::UTCTimeZone());
  CaldavRequest ev = ios_.EventQuery("/h/cal/", now);
  EXPECT_EQ(ev.label, "REPORT{vevent}");
  EXPECT_TRUE(HasHeader(ev, "Depth: 1"));
  std::vector<Element> e = ParseBody(ev.http.body);
  EXPECT_THAT(Names(e),
              ElementsAre(C("calendar-query"), D("prop"), D("getetag"), D("getcontenttype"),
                          C("filter"), C("comp-filter"), C("comp-filter"), C("time-range")));
  EXPECT_EQ(e[5].attrs["name"], "VCALENDAR");
  EXPECT_EQ(e[6].attrs["name"], "VEVENT");
  EXPECT_EQ(e[7].attrs["start"], "20130921T000000Z");
  EXPECT_EQ(e[7].attrs.count("end"), 0u);
  absl::Time january = absl::FromCivil(absl::CivilSecond(2014, 1, 5, 0, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(ParseBody(ios_.EventQuery("/c/", january).http.body)[7].attrs["start"],
            "20131205T000000Z");

  CaldavRequest todo = ios_.TaskQuery("/h/tasks/");
  EXPECT_EQ(todo.label, "REPORT{vtodo}");
  std::vector<Element> t = ParseBody(todo.http.body);
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[6].attrs["name"], "VTODO");
}

TEST_F(CaldavRequestsTest, MultigetEscapesHrefsAndSizesTheLabel) {
  std::vector<std::string> hrefs = {"/h/cal/a b.ics", "/h/cal/x&y.ics", "/h/cal/<odd>.ics",
                                    "http://127.0.0.1:8008/h/cal/q%20r.ics"};
  CaldavRequest m = b107_.Multiget("/h/cal/", hrefs);
  EXPECT_EQ(m.label, "REPORT{multiget-small}");
  EXPECT_EQ(HeaderValue(m, "Depth"), "<none>");
  EXPECT_THAT(m.http.body, HasSubstr("<D:href>/h/cal/x&amp;y.ics</D:href>"));
  std::vector<Element> e = ParseBody(m.http.body);
  EXPECT_THAT(Names(e),
              ElementsAre(C("calendar-multiget"), D("prop"), D("getetag"), C("calendar-data"),
                          C("schedule-tag"), D("href"), D("href"), D("href"), D("href")));
  std::vector<std::string> sent = TextsOf(e, D("href"));
  EXPECT_THAT(sent, ElementsAre("/h/cal/a%20b.ics", "/h/cal/x&y.ics", "/h/cal/%3Codd%3E.ics",
                                "/h/cal/q%20r.ics"));
  // What the server echoes back normalizes to what we asked for.
  for (size_t i = 0; i < hrefs.size(); ++i) {
    EXPECT_TRUE(SameHref(NormalizeHref(sent[i]), hrefs[i])) << i;
  }

  std::vector<std::string> many;
  for (int i = 0; i < 120; ++i) many.push_back(absl::StrCat("/h/cal/", i, ".ics"));
  std::vector<CaldavRequest> batches = b107_.MultigetBatches("/h/cal/", many);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].label, "REPORT{multiget-large}");
  EXPECT_EQ(batches[2].label, "REPORT{multiget-medium}");  // 20 left
  EXPECT_EQ(TextsOf(ParseBody(batches[2].http.body), D("href")).size(), 20u);
  std::vector<CaldavRequest> one = b106_.MultigetBatches("/h/cal/", many);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].label, "REPORT{multiget-huge}");
  EXPECT_THAT(b106_.MultigetBatches("/h/cal/", {}), IsEmpty());
}

TEST_F(CaldavRequestsTest, PrincipalPropertySearch) {
  CaldavRequest s = b106_.PrincipalSearch("/principals/", "wilfr");
  EXPECT_EQ(s.label, "REPORT{psearch}");
  EXPECT_EQ(HeaderValue(s, "Depth"), "<none>");
  std::vector<Element> e = ParseBody(s.http.body);
  EXPECT_EQ(e[0].name, D("principal-property-search"));
  EXPECT_EQ(e[0].attrs["test"], "anyof");
  EXPECT_THAT(TextsOf(e, D("match")), ElementsAre("wilfr", "wilfr", "wilfr", "wilfr"));
  EXPECT_EQ(e[3].name, D("displayname"));
  EXPECT_EQ(e[4].attrs["match-type"], "starts-with");
  EXPECT_EQ(e[7].name, CS("email-address-set"));
  // The wanted properties come last: 8 of them after the final DAV:prop.
  EXPECT_EQ(e[e.size() - 9].name, D("prop"));
  EXPECT_EQ(e.back().name, D("principal-URL"));
  EXPECT_EQ(std::size(kPrincipalSearchPrefixes), 8u);
}

TEST_F(CaldavRequestsTest, FreeBusyPost) {
  CaldavRequest fb = b106_.FreeBusy("/calendars/__uids__/u1/outbox/", "mailto:user01@example.com",
                                    {"mailto:user01@example.com", "mailto:user02@example.com"},
                                    "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  EXPECT_EQ(fb.http.method, "POST");
  EXPECT_EQ(fb.label, "POST{fb-small}");
  EXPECT_THAT(fb.expected, ElementsAre(200));
  EXPECT_EQ(HeaderValue(fb, "Content-Type"), "text/calendar");
  EXPECT_EQ(HeaderValue(fb, "Originator"), "mailto:user01@example.com");
  EXPECT_EQ(HeaderValue(fb, "Recipient"), "mailto:user01@example.com, mailto:user02@example.com");
}

TEST_F(CaldavRequestsTest, PutPreconditionsLabelsAndExpectations) {
  CaldavRequest create = b107_.PutEvent("/h/cal/u.ics", "ICS", PutCondition::Create());
  EXPECT_EQ(create.http.method, "PUT");
  EXPECT_EQ(create.label, "PUT{event}");
  EXPECT_EQ(create.http.body, "ICS");
  EXPECT_TRUE(HasHeader(create, "If-None-Match: *"));
  EXPECT_EQ(HeaderValue(create, "Content-Type"), "text/calendar");
  EXPECT_THAT(create.expected, ElementsAre(201));

  CaldavRequest plain = b107_.PutEvent("/h/cal/u.ics", "ICS");
  EXPECT_EQ(HeaderValue(plain, "If-None-Match"), "<none>");
  EXPECT_EQ(HeaderValue(plain, "If-Match"), "<none>");
  EXPECT_THAT(plain.expected, ElementsAre(201));

  CaldavRequest org = b107_.PutOrganizer("/h/cal/u.ics", "ICS", 6, PutCondition::IfMatch("\"e1\""));
  EXPECT_EQ(org.label, "PUT{organizer-medium}");
  EXPECT_TRUE(HasHeader(org, "If-Match: \"e1\""));
  EXPECT_THAT(org.expected, ElementsAre(200, 201, 204, 412));

  CaldavRequest att =
      b107_.PutAttendee("/h/cal/u.ics", "ICS", 3, PutCondition::IfScheduleTagMatch("\"s7\""));
  EXPECT_EQ(att.label, "PUT{attendee-small}");
  EXPECT_TRUE(HasHeader(att, "If-Schedule-Tag-Match: \"s7\""));
  EXPECT_THAT(att.expected, Contains(412));
  CaldavRequest att2 = b107_.PutAttendee("/h/cal/u.ics", "ICS", 80);
  EXPECT_EQ(att2.label, "PUT{attendee-huge}");
  EXPECT_THAT(att2.expected, ElementsAre(200, 201, 204));
}

TEST_F(CaldavRequestsTest, GetDeleteOptions) {
  CaldavRequest g = ios_.Get("/h/cal/a b.ics");
  EXPECT_EQ(g.http.method, "GET");
  EXPECT_EQ(g.http.url, "https://cal.example.com:8443/h/cal/a%20b.ics");
  EXPECT_EQ(g.label, "GET{event}");
  EXPECT_TRUE(g.http.body.empty());
  CaldavRequest d = ios_.Delete("/h/cal/a.ics");
  EXPECT_EQ(d.http.method, "DELETE");
  EXPECT_EQ(d.label, "DELETE{event}");
  EXPECT_THAT(d.expected, ElementsAre(204, 200));
  EXPECT_EQ(HeaderValue(d, "If-Match"), "<none>");
  CaldavRequest conditional = ios_.Delete("/h/.in/a.ics", "\"etag-1\"");
  EXPECT_EQ(HeaderValue(conditional, "If-Match"), "\"etag-1\"");
  EXPECT_THAT(conditional.expected, ElementsAre(204, 200));
  CaldavRequest o = ios_.Options("/");
  EXPECT_EQ(o.http.method, "OPTIONS");
  EXPECT_EQ(o.label, "OPTIONS");
}

TEST_F(CaldavRequestsTest, MakeCalendarWithComponentSet) {
  CaldavRequest m = b107_.MakeCalendar("/user01/tasks", "vtodo", "My <Tasks>");
  EXPECT_EQ(m.http.method, "MKCALENDAR");
  EXPECT_EQ(m.http.url, "http://127.0.0.1:8008/user01/tasks/");
  EXPECT_EQ(m.label, "MKCALENDAR");
  EXPECT_THAT(m.expected, ElementsAre(201));
  EXPECT_EQ(HeaderValue(m, "Content-Type"), "application/xml");
  std::vector<Element> e = ParseBody(m.http.body);
  EXPECT_THAT(Names(e), ElementsAre(C("mkcalendar"), D("set"), D("prop"), D("displayname"),
                                    C("supported-calendar-component-set"), C("comp")));
  EXPECT_EQ(e[3].text, "My <Tasks>");
  EXPECT_EQ(e[5].attrs["name"], "VTODO");
}

// --- dav_xml.h ---

TEST(CaldavHrefTest, NormalizeForms) {
  EXPECT_EQ(NormalizeHref("/a%20b/c.ics"), "/a b/c.ics");
  EXPECT_EQ(NormalizeHref("  http://host:8008/x/y/ \n"), "/x/y/");
  EXPECT_EQ(NormalizeHref("HTTPS://host"), "/");
  EXPECT_EQ(NormalizeHref("http%3A//127.0.0.1:8090/missing%20one"), "/missing one");
  EXPECT_EQ(NormalizeHref("mailto:user01@example.com"), "mailto:user01@example.com");
  EXPECT_EQ(NormalizeHref("urn:uuid:1234"), "urn:uuid:1234");
  EXPECT_EQ(NormalizeHref("/bad%zz%4"), "/bad%zz%4");
  EXPECT_EQ(PercentDecode("%41%62%2f"), "Ab/");
}

TEST(CaldavHrefTest, SameHrefIgnoresTrailingSlashAndForm) {
  EXPECT_TRUE(SameHref("/a/b", "/a/b/"));
  EXPECT_TRUE(SameHref("http://h/a%20b/", "/a b"));
  EXPECT_TRUE(SameHref("/", "http://h"));
  EXPECT_FALSE(SameHref("/a/b", "/a/bc"));
  EXPECT_FALSE(SameHref("/a/", "/"));
  EXPECT_FALSE(SameHref("/a//", "/a"));  // only one trailing slash is ignored
  // Paths are internal form (decoded once, by NormalizeHref); absolute URLs are wire form.
  EXPECT_FALSE(SameHref("/a%20b", "/a b"));
  EXPECT_TRUE(SameHref(NormalizeHref("/a%20b"), "/a b"));
  EXPECT_EQ(InternalHref(" /a%41 "), "/a%41");
  EXPECT_EQ(InternalHref("http://h:1/a%41"), "/aA");
  EXPECT_EQ(NormalizeHref(NormalizeHref("/x%2541")), "/xA");  // why decoding happens once
}

TEST(CaldavHrefTest, EncodeEscapeAndCollections) {
  EXPECT_EQ(EncodeHrefPath("/a b/c&d;e=f@g:h/%"), "/a%20b/c&d;e=f@g:h/%25");
  EXPECT_EQ(EncodeHrefPath("/?#[]\""), "/%3F%23%5B%5D%22");
  EXPECT_EQ(XmlEscape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
  EXPECT_EQ(CollectionOf("/a/b/c.ics"), "/a/b/");
  EXPECT_EQ(CollectionOf("/a/b/"), "/a/b/");
  EXPECT_EQ(CollectionOf("c.ics"), "");
  EXPECT_EQ(WithTrailingSlash("/a"), "/a/");
  EXPECT_EQ(WithTrailingSlash("/a//"), "/a/");
  EXPECT_EQ(WithTrailingSlash(""), "/");
  EXPECT_EQ(CanonicalNamespace("urn:ietf:params:xml:ns:carldav:"), kCaldavNs);
  EXPECT_EQ(CanonicalNamespace("http://calendarserver.org/ns"), kCalendarServerNs);
  EXPECT_EQ(CanonicalNamespace("DAV:"), "DAV:");
  EXPECT_EQ(CanonicalNamespace("urn:other"), "urn:other");
}

}  // namespace
}  // namespace loadsim
