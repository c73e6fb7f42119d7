#include "worker/multistatus.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/dav_xml.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A CalendarServer-style PROPFIND{home} Depth 1 answer: absolute-URL hrefs, prefixed
// namespaces, found and missing properties in separate propstats.
constexpr char kHomeListing[] = R"(<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
    xmlns:CS="http://calendarserver.org/ns/" xmlns:ICAL="http://apple.com/ns/ical/">
  <D:response>
    <D:href>http://localhost:8008/calendars/__uids__/10000000-0000-0000-0000-000000000001/</D:href>
    <D:propstat>
      <D:prop>
        <D:resourcetype><D:collection/></D:resourcetype>
        <CS:pushkey>/CalDAV/localhost/10000000-0000-0000-0000-000000000001/</CS:pushkey>
        <D:supported-report-set>
          <D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>
          <D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report>
        </D:supported-report-set>
      </D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
    <D:propstat>
      <D:prop><CS:xmpp-server/><CS:xmpp-uri/><CS:getctag/></D:prop>
      <D:status>HTTP/1.1 404 Not Found</D:status>
    </D:propstat>
  </D:response>
  <D:response>
    <D:href>http://localhost:8008/calendars/__uids__/10000000-0000-0000-0000-000000000001/calendar/</D:href>
    <D:propstat>
      <D:prop>
        <D:displayname>calendar</D:displayname>
        <D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
        <C:supported-calendar-component-set>
          <C:comp name="VEVENT"/><C:comp name="vtodo"/>
        </C:supported-calendar-component-set>
        <CS:getctag>"ctag-1"</CS:getctag>
        <D:sync-token>data:,52</D:sync-token>
        <ICAL:calendar-color>#882F00FF</ICAL:calendar-color>
      </D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
  </D:response>
  <D:response>
    <D:href>http://localhost:8008/calendars/__uids__/10000000-0000-0000-0000-000000000001/inbox/</D:href>
    <D:propstat>
      <D:prop>
        <D:displayname>inbox</D:displayname>
        <D:resourcetype><D:collection/><C:schedule-inbox/></D:resourcetype>
      </D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
    <D:propstat>
      <D:prop><C:supported-calendar-component-set/></D:prop>
      <D:status>HTTP/1.1 404 Not Found</D:status>
    </D:propstat>
  </D:response>
</D:multistatus>)";

TEST(MultistatusTest, CalendarServerHomeListing) {
  absl::StatusOr<Multistatus> ms = ParseMultistatus(kHomeListing);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 3u);
  const MultistatusResponse& home = ms->responses[0];
  EXPECT_EQ(home.href, "/calendars/__uids__/10000000-0000-0000-0000-000000000001/");
  EXPECT_THAT(home.raw_href, HasSubstr("http://localhost:8008/"));
  EXPECT_EQ(home.status, 0);
  EXPECT_TRUE(home.found());
  ASSERT_TRUE(home.props.resourcetype.has_value());
  EXPECT_TRUE(home.props.resourcetype->collection);
  EXPECT_FALSE(home.props.resourcetype->calendar);
  EXPECT_EQ(*home.props.pushkey, "/CalDAV/localhost/10000000-0000-0000-0000-000000000001/");
  EXPECT_TRUE(home.props.SupportsReport("{DAV:}sync-collection"));
  EXPECT_TRUE(home.props.SupportsReport("{urn:ietf:params:xml:ns:caldav}calendar-multiget"));
  EXPECT_FALSE(home.props.getctag.has_value());  // came back 404
  EXPECT_EQ(home.PropertyStatus(kCalendarServerNs, "getctag"), 404);
  EXPECT_EQ(home.PropertyStatus(kCalendarServerNs, "pushkey"), 200);
  EXPECT_EQ(home.PropertyStatus(kDavNs, "owner"), 0);
  EXPECT_EQ(home.properties.size(), 6u);

  const MultistatusResponse& cal = ms->responses[1];
  EXPECT_TRUE(cal.props.resourcetype->calendar);
  EXPECT_EQ(*cal.props.displayname, "calendar");
  EXPECT_THAT(*cal.props.supported_components, ElementsAre("VEVENT", "VTODO"));
  EXPECT_TRUE(cal.props.SupportsComponent("vevent"));
  EXPECT_FALSE(cal.props.SupportsComponent("VJOURNAL"));
  EXPECT_EQ(*cal.props.getctag, "\"ctag-1\"");
  EXPECT_EQ(*cal.props.sync_token, "data:,52");
  const DavProperty* color = cal.FindProperty(kAppleIcalNs, "calendar-color");
  ASSERT_NE(color, nullptr);
  EXPECT_EQ(color->text, "#882F00FF");

  const MultistatusResponse& inbox = ms->responses[2];
  EXPECT_TRUE(inbox.props.resourcetype->schedule_inbox);
  EXPECT_FALSE(inbox.props.supported_components.has_value());
  EXPECT_FALSE(inbox.props.SupportsComponent("VEVENT"));

  // Lookups by href ignore form and trailing slash differences.
  EXPECT_EQ(ms->Find("/calendars/__uids__/10000000-0000-0000-0000-000000000001/calendar"), &cal);
  EXPECT_EQ(ms->Find("http://other/calendars/__uids__/10000000-0000-0000-0000-000000000001/"),
            &home);
  EXPECT_EQ(ms->Find("/calendars/"), nullptr);
  EXPECT_FALSE(ms->sync_token.has_value());
}

// Radicale writes DAV: as the default namespace and answers a sync-collection REPORT after a
// DELETE with the removed href and a response-level 404.
constexpr char kRadicaleSync[] =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
    "<response><href>/user01/calendar/kept%20one.ics</href><propstat><prop>"
    "<getetag>\"e-kept\"</getetag><getcontenttype>text/calendar;charset=utf-8;component=VEVENT"
    "</getcontenttype></prop><status>HTTP/1.1 200 OK</status></propstat></response>"
    "<response><href>/user01/calendar/gone.ics</href>"
    "<status>HTTP/1.1 404 Not Found</status></response>"
    "<sync-token>http://radicale.org/ns/sync/3f2a</sync-token></multistatus>";

TEST(MultistatusTest, RadicaleSyncReportWithDeletion) {
  absl::StatusOr<Multistatus> ms = ParseMultistatus(kRadicaleSync);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 2u);
  EXPECT_EQ(ms->responses[0].href, "/user01/calendar/kept one.ics");
  EXPECT_EQ(*ms->responses[0].props.getetag, "\"e-kept\"");
  EXPECT_THAT(*ms->responses[0].props.getcontenttype, HasSubstr("component=VEVENT"));
  EXPECT_TRUE(ms->responses[0].found());
  EXPECT_EQ(ms->responses[1].href, "/user01/calendar/gone.ics");
  EXPECT_EQ(ms->responses[1].status, 404);
  EXPECT_FALSE(ms->responses[1].found());
  EXPECT_FALSE(ms->responses[1].props.getetag.has_value());
  EXPECT_EQ(*ms->sync_token, "http://radicale.org/ns/sync/3f2a");
}

// Radicale's principal answer: found properties and a 404 propstat for the RFC 6638 ones.
constexpr char kRadicalePrincipal[] =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
    "xmlns:CS=\"http://calendarserver.org/ns/\"><response><href>/user01/</href>"
    "<propstat><prop><current-user-principal><href>/user01/</href></current-user-principal>"
    "<principal-URL><href>/user01/</href></principal-URL>"
    "<C:calendar-home-set><href>/user01/</href></C:calendar-home-set>"
    "<C:calendar-user-address-set><href>mailto:user01@example.com</href>"
    "<href>/user01/</href></C:calendar-user-address-set>"
    "<principal-collection-set><href>/</href></principal-collection-set>"
    "<resourcetype><principal /><collection /></resourcetype></prop>"
    "<status>HTTP/1.1 200 OK</status></propstat>"
    "<propstat><prop><C:schedule-inbox-URL /><C:schedule-outbox-URL /><CS:email-address-set />"
    "</prop><status>HTTP/1.1 404 Not Found</status></propstat></response></multistatus>";

TEST(MultistatusTest, RadicalePrincipalWithMissingScheduling) {
  absl::StatusOr<Multistatus> ms = ParseMultistatus(kRadicalePrincipal);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 1u);
  const DavProperties& p = ms->responses[0].props;
  EXPECT_EQ(p.current_user_principal, "/user01/");
  EXPECT_EQ(p.principal_url, "/user01/");
  EXPECT_THAT(p.calendar_home_set, ElementsAre("/user01/"));
  EXPECT_THAT(p.calendar_user_address_set, ElementsAre("mailto:user01@example.com", "/user01/"));
  EXPECT_THAT(p.principal_collection_set, ElementsAre("/"));
  EXPECT_TRUE(p.resourcetype->principal);
  EXPECT_TRUE(p.resourcetype->collection);
  EXPECT_EQ(p.schedule_inbox_url, "");
  EXPECT_EQ(p.schedule_outbox_url, "");
  EXPECT_THAT(p.email_address_set, IsEmpty());
  EXPECT_EQ(ms->responses[0].PropertyStatus(kCaldavNs, "schedule-outbox-URL"), 404);
}

// Xandikos (ElementTree) numbers its prefixes, percent-encodes whole URLs of missing
// resources, and spells the CalDAV namespace "urn:ietf:params:xml:ns:carldav:" in places.
constexpr char kXandikos[] =
    "<ns0:multistatus xmlns:ns0=\"DAV:\" xmlns:ns1=\"urn:ietf:params:xml:ns:carldav:\">"
    "<ns0:response><ns0:href>/user/calendars/calendar/</ns0:href><ns0:propstat><ns0:prop>"
    "<ns0:resourcetype><ns0:collection /><ns1:calendar /></ns0:resourcetype>"
    "<ns1:supported-calendar-component-set><ns1:comp name=\"VEVENT\" /><ns1:comp name=\"VTODO\" />"
    "<ns1:comp name=\"VJOURNAL\" /><ns1:comp name=\"VFREEBUSY\" />"
    "</ns1:supported-calendar-component-set></ns0:prop>"
    "<ns0:status>HTTP/1.1 200 OK</ns0:status></ns0:propstat></ns0:response>"
    "<ns0:response><ns0:href>http%3A//127.0.0.1%3A8090/user/no%20such/</ns0:href>"
    "<ns0:status>HTTP/1.1 404 Not Found</ns0:status></ns0:response>"
    "<ns0:response><ns0:href>/user/inbox</ns0:href><ns0:propstat><ns0:prop>"
    "<ns0:resourcetype><ns0:collection /><ns2:schedule-inbox "
    "xmlns:ns2=\"urn:ietf:params:xml:ns:caldav\" /></ns0:resourcetype></ns0:prop>"
    "<ns0:status>HTTP/1.1 200 OK</ns0:status></ns0:propstat></ns0:response>"
    "</ns0:multistatus>";

TEST(MultistatusTest, XandikosPrefixesOddNamespaceAndEncodedUrl) {
  absl::StatusOr<Multistatus> ms = ParseMultistatus(kXandikos);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 3u);
  const MultistatusResponse& cal = ms->responses[0];
  EXPECT_TRUE(cal.props.resourcetype->calendar);
  EXPECT_THAT(*cal.props.supported_components,
              ElementsAre("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"));
  EXPECT_EQ(cal.properties[1].name,
            "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set");
  EXPECT_EQ(ms->responses[1].href, "/user/no such/");
  EXPECT_EQ(ms->responses[1].status, 404);
  EXPECT_EQ(ms->Find("/user/inbox/"), &ms->responses[2]);
  EXPECT_TRUE(ms->responses[2].props.resourcetype->schedule_inbox);
}

TEST(MultistatusTest, MultigetCalendarDataCdataAndPercentEncodedHrefs) {
  const char* body =
      "<d:multistatus xmlns:d=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">"
      "<d:response><d:href>/c/a%26b%20c.ics</d:href><d:propstat><d:prop>"
      "<d:getetag>\"1\"</d:getetag><cal:schedule-tag>\"s1\"</cal:schedule-tag>"
      "<cal:calendar-data><![CDATA[BEGIN:VCALENDAR\r\nX-A:<&>\r\nEND:VCALENDAR\r\n]]>"
      "</cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
      "</d:response>"
      "<d:response><d:href>/c/x.ics</d:href><d:propstat><d:prop><d:getetag>\"2\"</d:getetag>"
      "<cal:calendar-data>BEGIN:VCALENDAR&#13;\nEND:VCALENDAR&#13;\n</cal:calendar-data>"
      "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
      "<d:propstat><d:prop><cal:schedule-tag/></d:prop>"
      "<d:status>HTTP/1.1 404 Not Found</d:status></d:propstat></d:response></d:multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 2u);
  EXPECT_EQ(ms->responses[0].href, "/c/a&b c.ics");
  EXPECT_EQ(*ms->responses[0].props.schedule_tag, "\"s1\"");
  // XML end-of-line handling turns CRLF into LF unless the server wrote &#13;.
  EXPECT_EQ(*ms->responses[0].props.calendar_data, "BEGIN:VCALENDAR\nX-A:<&>\nEND:VCALENDAR\n");
  EXPECT_EQ(*ms->responses[1].props.calendar_data, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  EXPECT_FALSE(ms->responses[1].props.schedule_tag.has_value());
  EXPECT_NE(ms->Find("http://h/c/a%26b%20c.ics"), nullptr);
}

TEST(MultistatusTest, ExpandPropertyNestedResponsesAndDefaultNamespaceSwitch) {
  const char* body =
      "<multistatus xmlns=\"DAV:\"><response><href>/principals/users/user01/</href>"
      "<propstat><prop>"
      "<calendar-proxy-write-for xmlns=\"http://calendarserver.org/ns/\">"
      "<response xmlns=\"DAV:\"><href>/principals/users/user07/</href><propstat><prop>"
      "<displayname>User 07</displayname></prop><status>HTTP/1.1 200 OK</status></propstat>"
      "</response></calendar-proxy-write-for>"
      "<calendar-proxy-read-for xmlns=\"http://calendarserver.org/ns/\"/>"
      "<email-address-set xmlns=\"http://calendarserver.org/ns/\">"
      "<email-address>user01@example.com</email-address></email-address-set>"
      "</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  const DavProperties& p = ms->responses[0].props;
  EXPECT_THAT(p.proxy_write_for, ElementsAre("/principals/users/user07/"));
  EXPECT_THAT(p.proxy_read_for, IsEmpty());
  EXPECT_THAT(p.email_address_set, ElementsAre("user01@example.com"));
  EXPECT_EQ(ms->responses[0].properties[0].name,
            "{http://calendarserver.org/ns/}calendar-proxy-write-for");
}

// Namespaces are resolved per element from the declarations in scope: a prefix redeclared on
// an inner element applies to it and its descendants only, a default namespace can be set and
// reset with xmlns="" (no namespace, taken as DAV:), and of two declarations of one prefix on
// one element the first counts.
TEST(MultistatusTest, NamespaceScopesRedeclarationsAndDefaultReset) {
  const char* body =
      "<D:multistatus xmlns:D=\"DAV:\" xmlns:X=\"http://calendarserver.org/ns/\">"
      "<D:response><D:href>/a/</D:href><D:propstat><D:prop>"
      "<X:getctag xmlns:X=\"urn:ietf:params:xml:ns:caldav\">\"c\"</X:getctag>"
      "<X:pushkey>pk</X:pushkey>"
      "<D:resourcetype><D:collection/>"
      "<D:calendar xmlns:D=\"urn:ietf:params:xml:ns:caldav\"/><D:principal/></D:resourcetype>"
      "<getetag xmlns=\"http://calendarserver.org/ns/\">\"x\"</getetag>"
      "<getcontenttype xmlns=\"http://calendarserver.org/ns/\">"
      "<inner xmlns=\"\"/></getcontenttype>"
      "<displayname xmlns=\"urn:other\" xmlns=\"urn:ignored\">n</displayname>"
      "<Y:schedule-tag xmlns:Y=\"urn:ietf:params:xml:ns:caldav\" "
      "xmlns:Y=\"http://calendarserver.org/ns/\">\"s\"</Y:schedule-tag>"
      "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
      "<D:response xmlns=\"urn:not-dav\"><D:href>/b/</D:href><D:propstat><D:prop>"
      "<sync-token xmlns=\"\">t</sync-token><getetag>g</getetag></D:prop></D:propstat>"
      "</D:response>"
      "<response xmlns=\"urn:not-dav\"><D:href>/c/</D:href></response>"
      "</D:multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 2u);
  const MultistatusResponse& a = ms->responses[0];
  // X: means CalDAV on the getctag element only, CalendarServer again on its sibling.
  EXPECT_FALSE(a.props.getctag.has_value());
  EXPECT_EQ(a.PropertyStatus(kCaldavNs, "getctag"), 200);
  EXPECT_EQ(*a.props.pushkey, "pk");
  // D: redeclared on one child of resourcetype; its sibling is DAV: again.
  EXPECT_TRUE(a.props.resourcetype->collection);
  EXPECT_TRUE(a.props.resourcetype->calendar);
  EXPECT_TRUE(a.props.resourcetype->principal);
  EXPECT_THAT(a.props.resourcetype->others, IsEmpty());
  EXPECT_FALSE(a.props.getetag.has_value());
  EXPECT_NE(a.FindProperty(kCalendarServerNs, "getetag"), nullptr);
  EXPECT_EQ(a.FindProperty(kCalendarServerNs, "getcontenttype")->name,
            "{http://calendarserver.org/ns/}getcontenttype");
  const DavProperty* name = a.FindProperty("urn:other", "displayname");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->text, "n");
  EXPECT_EQ(a.FindProperty("urn:ignored", "displayname"), nullptr);
  EXPECT_EQ(*a.props.schedule_tag, "\"s\"");
  // A default namespace set on a response and reset with xmlns="" (no namespace: DAV:) on one
  // property; a response element in another namespace is no DAV:response.
  EXPECT_EQ(ms->responses[1].href, "/b/");
  EXPECT_EQ(*ms->responses[1].props.sync_token, "t");
  EXPECT_FALSE(ms->responses[1].props.getetag.has_value());
  EXPECT_NE(ms->responses[1].FindProperty("urn:not-dav", "getetag"), nullptr);
  EXPECT_EQ(ms->responses[1].PropertyStatus(kDavNs, "sync-token"), 200);
  EXPECT_EQ(ms->responses[1].FindProperty(kDavNs, "sync-toke"), nullptr);
  EXPECT_EQ(ms->responses[1].FindProperty("DAV", "sync-token"), nullptr);
}

// Text split over several PCDATA and CDATA children is concatenated, hrefs included.
TEST(MultistatusTest, TextInSeveralPieces) {
  const char* body =
      "<multistatus xmlns=\"DAV:\"><response><href>/a<!-- c -->/b%20<![CDATA[c]]></href>"
      "<propstat><prop><getetag> \"e<![CDATA[1]]>\" </getetag>"
      "<displayname>a<?pi x?>b<![CDATA[]]>c</displayname></prop></propstat></response>"
      "</multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 1u);
  EXPECT_EQ(ms->responses[0].raw_href, "/a/b%20c");
  EXPECT_EQ(ms->responses[0].href, "/a/b c");
  EXPECT_EQ(*ms->responses[0].props.getetag, "\"e1\"");
  EXPECT_EQ(*ms->responses[0].props.displayname, "abc");
  EXPECT_EQ(ms->responses[0].properties[0].text, " \"e1\" ");
}

TEST(MultistatusTest, SeveralHrefsShareOneStatus) {
  const char* body =
      "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/a/1.ics</D:href>"
      "<D:href>/a/2.ics</D:href><D:status>HTTP/1.1 423 Locked</D:status></D:response>"
      "<D:response><D:propstat><D:prop><D:getetag>\"g\"</D:getetag></D:prop></D:propstat>"
      "<D:href>/b/1.ics</D:href><D:href>/b/2.ics</D:href><D:href>/b/3.ics</D:href>"
      "</D:response></D:multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  ASSERT_EQ(ms->responses.size(), 5u);
  EXPECT_EQ(ms->responses[0].href, "/a/1.ics");
  EXPECT_EQ(ms->responses[1].href, "/a/2.ics");
  EXPECT_EQ(ms->responses[0].status, 423);
  EXPECT_EQ(ms->responses[1].status, 423);
  for (size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(ms->responses[i].href, "/b/" + std::to_string(i - 1) + ".ics");
    EXPECT_EQ(ms->responses[i].raw_href, ms->responses[i].href);
    EXPECT_EQ(*ms->responses[i].props.getetag, "\"g\"");
    ASSERT_EQ(ms->responses[i].properties.size(), 1u);
    EXPECT_EQ(ms->responses[i].status, 0);
  }
}

TEST(MultistatusTest, ToleratesMissingNamespacesAndStatuses) {
  // No xmlns at all, a propstat without status, a garbled status, an empty multistatus.
  const char* body =
      "<multistatus><response><href> /x/ </href><propstat><prop><getetag>e</getetag></prop>"
      "</propstat><propstat><prop><displayname>n</displayname></prop>"
      "<status>weird</status></propstat></response></multistatus>";
  absl::StatusOr<Multistatus> ms = ParseMultistatus(body);
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->responses[0].href, "/x/");
  EXPECT_EQ(*ms->responses[0].props.getetag, "e");
  EXPECT_EQ(ms->responses[0].PropertyStatus(kDavNs, "getetag"), 200);
  EXPECT_EQ(ms->responses[0].PropertyStatus(kDavNs, "displayname"), 0);
  EXPECT_FALSE(ms->responses[0].props.displayname.has_value());
  absl::StatusOr<Multistatus> empty = ParseMultistatus("<multistatus xmlns='DAV:'/>");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(empty->responses, IsEmpty());
}

TEST(MultistatusTest, ErrorsNameTheProblem) {
  absl::StatusOr<Multistatus> truncated =
      ParseMultistatus("<D:multistatus xmlns:D=\"DAV:\"><D:resp");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(truncated.status().message(), HasSubstr("malformed XML"));
  EXPECT_THAT(truncated.status().message(), HasSubstr("at byte"));
  absl::StatusOr<Multistatus> empty = ParseMultistatus("");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("malformed XML"));
  absl::StatusOr<Multistatus> wrong =
      ParseMultistatus("<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("expected a DAV:multistatus"));
  EXPECT_THAT(wrong.status().message(), HasSubstr("{DAV:}error"));
  absl::StatusOr<Multistatus> other_ns = ParseMultistatus("<multistatus xmlns=\"urn:x\"/>");
  EXPECT_FALSE(other_ns.ok());
  absl::StatusOr<Multistatus> no_href = ParseMultistatus(
      "<multistatus xmlns=\"DAV:\"><response><status>HTTP/1.1 200 OK</status>"
      "</response></multistatus>");
  ASSERT_FALSE(no_href.ok());
  EXPECT_THAT(no_href.status().message(), HasSubstr("DAV:response #1 has no DAV:href"));
}

TEST(MultistatusTest, StatusLines) {
  EXPECT_EQ(ParseStatusLine("HTTP/1.1 200 OK"), 200);
  EXPECT_EQ(ParseStatusLine("\n   HTTP/1.1 404 Not Found  "), 404);
  EXPECT_EQ(ParseStatusLine("HTTP/1.0 507"), 507);
  EXPECT_EQ(ParseStatusLine("424 Failed Dependency"), 424);
  EXPECT_EQ(ParseStatusLine("HTTP/1.1 2000 OK"), 0);
  EXPECT_EQ(ParseStatusLine("HTTP/1.1 abc"), 0);
  EXPECT_EQ(ParseStatusLine(""), 0);
  EXPECT_EQ(ParseStatusLine("HTTP/1.1 099 x"), 0);
}

TEST(DavHeaderTest, MergesLinesAndComparesTokensExactly) {
  DavFeatures radicale = ParseDavHeader({"1, 2, 3, calendar-access, addressbook, extended-mkcol"});
  EXPECT_TRUE(radicale.calendar_access());
  EXPECT_TRUE(radicale.extended_mkcol());
  EXPECT_FALSE(radicale.calendar_auto_schedule());

  DavFeatures xandikos = ParseDavHeader(
      {"1, 2, 3, calendar-access, calendar-auto-scheduling, addressbook, extended-mkcol, "
       "add-member, sync-collection, quota"});
  EXPECT_TRUE(xandikos.Has("calendar-auto-scheduling"));
  EXPECT_FALSE(xandikos.calendar_auto_schedule());  // not RFC 6638's token
  EXPECT_TRUE(xandikos.Has("sync-collection"));

  DavFeatures davical =
      ParseDavHeader({"1, 2, 3, access-control, calendar-access, calendar-schedule",
                      "extended-mkcol, bind, addressbook, calendar-auto-schedule, calendar-proxy"});
  EXPECT_TRUE(davical.calendar_auto_schedule());
  EXPECT_TRUE(davical.access_control());
  EXPECT_TRUE(davical.calendar_proxy());
  EXPECT_EQ(davical.tokens.size(), 11u);
  EXPECT_EQ(davical.tokens.front(), "1");
  EXPECT_EQ(davical.tokens.back(), "calendar-proxy");
}

TEST(DavHeaderTest, DuplicatesBlanksAndCodedUrls) {
  DavFeatures f = ParseDavHeader({"1,,2 , 1", "", "<http://example.com/a,b>, calendar-access"});
  EXPECT_THAT(f.tokens, ElementsAre("1", "2", "<http://example.com/a,b>", "calendar-access"));
  EXPECT_FALSE(f.Has("calendar"));
  EXPECT_FALSE(f.Has("Calendar-Access"));
  EXPECT_THAT(ParseDavHeader({}).tokens, IsEmpty());
}

}  // namespace
}  // namespace loadsim
