#include "worker/ical.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loadsim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

EventSpec SimpleEvent() {
  EventSpec e;
  e.uid = "0f1e2d3c-aaaa-bbbb-cccc-000000000001";
  e.created = Utc(2013, 10, 21, 12, 0);
  e.start = Utc(2013, 10, 22, 15, 0);
  e.duration = absl::Minutes(45);
  return e;
}

FreeBusySpec SimpleFreeBusy() {
  FreeBusySpec fb;
  fb.uid = "A1B2C3D4-1111-2222-3333-444455556666";
  fb.start = Utc(2013, 10, 22, 0, 0);
  fb.end = fb.start + absl::Hours(24);
  fb.stamp = Utc(2013, 10, 21, 12, 0);
  fb.organizer = "mailto:user01@example.com";
  fb.attendees = {"mailto:user01@example.com", "mailto:user02@example.com"};
  fb.mask_uid = "0f1e2d3c-aaaa-bbbb-cccc-000000000001";
  return fb;
}

// The content lines of a serialized object, unfolded.
std::vector<std::string> Lines(const std::string& ics) {
  std::string unfolded = ics;
  for (size_t p; (p = unfolded.find("\r\n ")) != std::string::npos;) unfolded.erase(p, 3);
  return absl::StrSplit(unfolded, "\r\n", absl::SkipEmpty());
}

bool HasLine(const std::string& ics, absl::string_view line) {
  for (const std::string& l : Lines(ics)) {
    if (l == line) return true;
  }
  return false;
}

TEST(ICalTest, EventInUtcFollowsTheEventerTemplate) {
  absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(SimpleEvent());
  ASSERT_TRUE(ev.ok()) << ev.status();
  std::string ics = ev->Serialize();
  EXPECT_TRUE(absl::StartsWith(ics, "BEGIN:VCALENDAR\r\n"));
  EXPECT_TRUE(HasLine(ics, "VERSION:2.0"));
  EXPECT_TRUE(HasLine(ics, "PRODID:-//Apple Inc.//iCal 4.0.3//EN"));
  EXPECT_TRUE(HasLine(ics, "CALSCALE:GREGORIAN"));
  EXPECT_TRUE(HasLine(ics, "UID:0f1e2d3c-aaaa-bbbb-cccc-000000000001"));
  EXPECT_TRUE(HasLine(ics, "CREATED:20131021T120000Z"));
  EXPECT_TRUE(HasLine(ics, "DTSTAMP:20131021T120000Z"));
  EXPECT_TRUE(HasLine(ics, "DTSTART:20131022T150000Z"));
  EXPECT_TRUE(HasLine(ics, "DTEND:20131022T154500Z"));
  EXPECT_TRUE(HasLine(ics, "TRANSP:OPAQUE"));
  EXPECT_TRUE(HasLine(ics, "SUMMARY:Simple event"));
  EXPECT_TRUE(HasLine(ics, "SEQUENCE:2"));
  EXPECT_THAT(ics, Not(HasSubstr("VTIMEZONE")));
  EXPECT_THAT(ics, Not(HasSubstr("RRULE")));
  EXPECT_EQ(ev->kind(), ComponentKind::kEvent);
  EXPECT_EQ(ev->uid(), "0f1e2d3c-aaaa-bbbb-cccc-000000000001");
  EXPECT_EQ(ev->sequence(), 2);
  EXPECT_EQ(ev->attendee_count(), 0);
  EXPECT_FALSE(ev->organizer().has_value());
  EXPECT_THAT(ev->tzids(), IsEmpty());
}

TEST(ICalTest, EventWithZoneCarriesLocalTimesAndItsVtimezone) {
  EventSpec spec = SimpleEvent();
  spec.tzid = "America/New_York";
  spec.rrule = "FREQ=WEEKLY;COUNT=4";
  absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(spec);
  ASSERT_TRUE(ev.ok()) << ev.status();
  std::string ics = ev->Serialize();
  EXPECT_TRUE(HasLine(ics, "DTSTART;TZID=America/New_York:20131022T110000"));  // EDT, UTC-4
  EXPECT_TRUE(HasLine(ics, "DTEND;TZID=America/New_York:20131022T114500"));
  EXPECT_TRUE(HasLine(ics, "RRULE:FREQ=WEEKLY;COUNT=4"));
  EXPECT_TRUE(HasLine(ics, "TZID:America/New_York"));
  EXPECT_LT(ics.find("BEGIN:VTIMEZONE"), ics.find("BEGIN:VEVENT"));
  EXPECT_THAT(ev->tzids(), ElementsAre("America/New_York"));
  // Only the current rules, moved before any date we write.
  EXPECT_TRUE(HasLine(ics, "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"));
  EXPECT_TRUE(HasLine(ics, "DTSTART:19700308T020000"));
  EXPECT_THAT(ics, Not(HasSubstr("UNTIL")));
  // A second call reuses the cached zone.
  ASSERT_TRUE(CalendarObject::NewEvent(spec).ok());
  EXPECT_EQ(CalendarObject::NewEvent(spec)->Serialize().size(), ics.size());
}

TEST(ICalTest, InvitationRoundTripAcceptAndReparse) {
  EventSpec spec = SimpleEvent();
  CalendarUser organizer;
  organizer.address = "mailto:user01@example.com";
  organizer.cn = "User 01";
  spec.organizer = organizer;
  CalendarUser self = organizer;
  self.cutype = "INDIVIDUAL";
  self.partstat = "ACCEPTED";
  spec.attendees.push_back(self);
  spec.attendees.push_back(Invitee("mailto:user02@example.com", "User 02, Jr."));
  absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(spec);
  ASSERT_TRUE(ev.ok()) << ev.status();
  std::string ics = ev->Serialize();
  EXPECT_TRUE(HasLine(ics, "ORGANIZER;CN=User 01:mailto:user01@example.com"));
  EXPECT_TRUE(HasLine(ics,
                      "ATTENDEE;CN=\"User 02, Jr.\";CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;"
                      "ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:user02@example.com"));

  // The attendee's copy as a server would deliver it: with EMAIL parameters added.
  std::string delivered = ics;
  size_t at = delivered.find("ROLE=REQ-PARTICIPANT");
  ASSERT_NE(at, std::string::npos);
  delivered.insert(at, "EMAIL=user02@example.com;");
  absl::StatusOr<CalendarObject> got = CalendarObject::Parse(delivered);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->parse_errors(), IsEmpty());
  std::vector<CalendarUser> attendees = got->attendees();
  ASSERT_EQ(attendees.size(), 2u);
  EXPECT_EQ(attendees[1].address, "mailto:user02@example.com");
  EXPECT_EQ(attendees[1].email, "user02@example.com");
  EXPECT_EQ(attendees[1].cn, "User 02, Jr.");
  EXPECT_EQ(attendees[1].partstat, "NEEDS-ACTION");
  EXPECT_EQ(attendees[1].role, "REQ-PARTICIPANT");
  EXPECT_TRUE(attendees[1].rsvp);
  EXPECT_EQ(got->organizer()->cn, "User 01");

  // The Accepter matches itself by the EMAIL parameter and accepts.
  ASSERT_TRUE(got->SetAttendeePartstat("user02@example.com", "ACCEPTED").ok());
  absl::StatusOr<CalendarObject> reply = CalendarObject::Parse(got->Serialize());
  ASSERT_TRUE(reply.ok()) << reply.status();
  attendees = reply->attendees();
  ASSERT_EQ(attendees.size(), 2u);
  EXPECT_EQ(attendees[1].partstat, "ACCEPTED");
  EXPECT_FALSE(attendees[1].rsvp);  // RSVP dropped
  EXPECT_EQ(attendees[1].cn, "User 02, Jr.");
  EXPECT_EQ(attendees[0].partstat, "ACCEPTED");
  EXPECT_EQ(reply->uid(), spec.uid);

  // Matching by address works too ("mailto:" optional, any case); unknown attendees fail.
  EXPECT_TRUE(reply->SetAttendeePartstat("MAILTO:User02@Example.com", "DECLINED").ok());
  EXPECT_EQ(reply->attendees()[1].partstat, "DECLINED");
  absl::Status missing = reply->SetAttendeePartstat("user09@example.com", "ACCEPTED");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
}

TEST(ICalTest, AddAttendeeAndOrganizer) {
  absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(SimpleEvent());
  ASSERT_TRUE(ev.ok());
  CalendarUser org;
  org.address = "mailto:user01@example.com";
  org.cn = "User 01";
  ASSERT_TRUE(ev->SetOrganizer(org).ok());
  ASSERT_TRUE(ev->AddAttendee(Invitee("mailto:user03@example.com", "User 03")).ok());
  EXPECT_EQ(ev->AddAttendee(Invitee("mailto:USER03@example.com", "x")).code(),
            absl::StatusCode::kAlreadyExists);
  org.cn = "Renamed";
  ASSERT_TRUE(ev->SetOrganizer(org).ok());
  absl::StatusOr<CalendarObject> back = CalendarObject::Parse(ev->Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->attendee_count(), 1);
  EXPECT_EQ(back->organizer()->cn, "Renamed");
  EXPECT_EQ(back->Serialize().find("ORGANIZER"), back->Serialize().rfind("ORGANIZER"));
  CalendarUser nobody;
  EXPECT_EQ(ev->AddAttendee(nobody).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ICalTest, TaskFollowsTheTaskerTemplate) {
  TaskSpec t;
  t.uid = "task-1";
  t.created = Utc(2013, 10, 21, 12, 0);
  t.due = Utc(2013, 10, 25, 9, 30);
  absl::StatusOr<CalendarObject> task = CalendarObject::NewTask(t);
  ASSERT_TRUE(task.ok()) << task.status();
  std::string ics = task->Serialize();
  EXPECT_TRUE(HasLine(ics, "BEGIN:VTODO"));
  EXPECT_TRUE(HasLine(ics, "DUE:20131025T093000Z"));
  EXPECT_TRUE(HasLine(ics, "SUMMARY:Simple task"));
  EXPECT_EQ(task->kind(), ComponentKind::kTodo);
  EXPECT_STREQ(ComponentKindName(task->kind()), "VTODO");
  t.tzid = "Europe/Berlin";
  absl::StatusOr<CalendarObject> zoned = CalendarObject::NewTask(t);
  ASSERT_TRUE(zoned.ok());
  EXPECT_TRUE(HasLine(zoned->Serialize(), "DUE;TZID=Europe/Berlin:20131025T113000"));
  EXPECT_TRUE(HasLine(zoned->Serialize(), "TZID:Europe/Berlin"));
}

TEST(ICalTest, FreeBusyRequest) {
  FreeBusySpec fb = SimpleFreeBusy();
  fb.mask_uid = "event-uid";
  absl::StatusOr<CalendarObject> obj = CalendarObject::NewFreeBusyRequest(fb);
  ASSERT_TRUE(obj.ok()) << obj.status();
  std::string ics = obj->Serialize();
  EXPECT_TRUE(HasLine(ics, "METHOD:REQUEST"));
  EXPECT_TRUE(HasLine(ics, "BEGIN:VFREEBUSY"));
  EXPECT_TRUE(HasLine(ics, "DTSTART:20131022T000000Z"));
  EXPECT_TRUE(HasLine(ics, "DTEND:20131023T000000Z"));
  EXPECT_TRUE(HasLine(ics, "ATTENDEE:mailto:user02@example.com"));
  EXPECT_TRUE(HasLine(ics, "X-CALENDARSERVER-MASK-UID:event-uid"));
  EXPECT_TRUE(HasLine(ics,
                      "SUMMARY:Availability for mailto:user01@example.com\\, "
                      "mailto:user02@example.com"));
  EXPECT_EQ(obj->method(), "REQUEST");
  EXPECT_EQ(obj->kind(), ComponentKind::kFreeBusy);
  EXPECT_EQ(obj->attendee_count(), 2);
}

TEST(ICalTest, ParseInboxReplyPicksTheMasterComponent) {
  // An override first, then the master; LF line ends as they come out of XML.
  const char* text =
      "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REPLY\nPRODID:-//x//y//EN\n"
      "BEGIN:VEVENT\nUID:r1\nRECURRENCE-ID:20131023T150000Z\nDTSTART:20131023T160000Z\n"
      "SEQUENCE:4\nEND:VEVENT\n"
      "BEGIN:VEVENT\nUID:r1\nDTSTART:20131022T150000Z\nSEQUENCE:3\nSUMMARY:Master\n"
      "ORGANIZER;CN=Org:mailto:o@example.com\n"
      "ATTENDEE;PARTSTAT=ACCEPTED;EMAIL=a@example.com:urn:uuid:aaaa\n"
      "END:VEVENT\nEND:VCALENDAR\n";
  absl::StatusOr<CalendarObject> obj = CalendarObject::Parse(text);
  ASSERT_TRUE(obj.ok()) << obj.status();
  EXPECT_EQ(obj->method(), "REPLY");
  EXPECT_EQ(obj->summary(), "Master");
  EXPECT_EQ(obj->sequence(), 3);
  EXPECT_EQ(obj->organizer()->address, "mailto:o@example.com");
  ASSERT_EQ(obj->attendees().size(), 1u);
  EXPECT_EQ(obj->attendees()[0].address, "urn:uuid:aaaa");
  EXPECT_TRUE(obj->SetAttendeePartstat("mailto:a@example.com", "DECLINED").ok());
}

TEST(ICalTest, ParseErrors) {
  absl::StatusOr<CalendarObject> garbage = CalendarObject::Parse("this is not iCalendar");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(CalendarObject::Parse("").ok());
  absl::StatusOr<CalendarObject> bare =
      CalendarObject::Parse("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n");
  ASSERT_FALSE(bare.ok());
  EXPECT_THAT(bare.status().message(), HasSubstr("expected a VCALENDAR, got VEVENT"));
  absl::StatusOr<CalendarObject> bad_value = CalendarObject::Parse(
      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:zzz\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  ASSERT_TRUE(bad_value.ok()) << bad_value.status();
  ASSERT_EQ(bad_value->parse_errors().size(), 1u);
  EXPECT_THAT(bad_value->parse_errors()[0], HasSubstr("DTSTART"));
  EXPECT_THAT(bad_value->Serialize(), Not(HasSubstr("X-LIC-ERROR")));
  EXPECT_EQ(bad_value->uid(), "x");
  absl::StatusOr<CalendarObject> empty =
      CalendarObject::Parse("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->kind(), ComponentKind::kNone);
  EXPECT_EQ(empty->uid(), "");
  EXPECT_THAT(empty->attendees(), IsEmpty());
  EXPECT_EQ(empty->SetAttendeePartstat("a", "ACCEPTED").code(), absl::StatusCode::kNotFound);
}

TEST(ICalTest, GenerationErrors) {
  EventSpec no_uid = SimpleEvent();
  no_uid.uid.clear();
  EXPECT_EQ(CalendarObject::NewEvent(no_uid).status().code(), absl::StatusCode::kInvalidArgument);
  EventSpec bad_zone = SimpleEvent();
  bad_zone.tzid = "Mars/Olympus_Mons";
  EXPECT_EQ(CalendarObject::NewEvent(bad_zone).status().code(), absl::StatusCode::kNotFound);
  EventSpec bad_rule = SimpleEvent();
  bad_rule.rrule = "EVERY OTHER TUESDAY";
  EXPECT_EQ(CalendarObject::NewEvent(bad_rule).status().code(), absl::StatusCode::kInvalidArgument);
  EventSpec prefixed = SimpleEvent();
  prefixed.rrule = "RRULE:FREQ=DAILY;INTERVAL=2";
  ASSERT_TRUE(CalendarObject::NewEvent(prefixed).ok());
  EXPECT_TRUE(
      HasLine(CalendarObject::NewEvent(prefixed)->Serialize(), "RRULE:FREQ=DAILY;INTERVAL=2"));
  EXPECT_EQ(VTimezoneCalendar("Nowhere/Special").status().code(), absl::StatusCode::kNotFound);
}

TEST(ICalTest, AddMissingTimezonesToAParsedObject) {
  absl::StatusOr<CalendarObject> obj = CalendarObject::Parse(
      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:z\r\n"
      "DTSTART;TZID=Asia/Tokyo:20131022T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  ASSERT_TRUE(obj.ok());
  ASSERT_TRUE(obj->AddMissingTimezones().ok());
  ASSERT_TRUE(obj->AddMissingTimezones().ok());  // idempotent
  std::string ics = obj->Serialize();
  EXPECT_EQ(ics.find("BEGIN:VTIMEZONE"), ics.rfind("BEGIN:VTIMEZONE"));
  EXPECT_LT(ics.find("BEGIN:VTIMEZONE"), ics.find("BEGIN:VEVENT"));
  // Tokyo has no daylight saving time today: one fixed-offset observance.
  EXPECT_TRUE(HasLine(ics, "TZOFFSETFROM:+0900"));
  EXPECT_TRUE(HasLine(ics, "TZOFFSETTO:+0900"));
  EXPECT_THAT(ics, Not(HasSubstr("RRULE")));
  EXPECT_THAT(ics, Not(HasSubstr("BEGIN:DAYLIGHT")));
}

TEST(ICalTest, CopiesAreIndependent) {
  EventSpec spec = SimpleEvent();
  spec.attendees.push_back(Invitee("mailto:a@example.com", "A"));
  absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(spec);
  ASSERT_TRUE(ev.ok());
  CalendarObject copy = *ev;
  ASSERT_TRUE(copy.SetAttendeePartstat("a@example.com", "TENTATIVE").ok());
  EXPECT_EQ(ev->attendees()[0].partstat, "NEEDS-ACTION");
  EXPECT_EQ(copy.attendees()[0].partstat, "TENTATIVE");
  CalendarObject assigned = copy;
  assigned = *ev;
  EXPECT_EQ(assigned.Serialize(), ev->Serialize());
  CalendarObject moved = std::move(copy);
  EXPECT_EQ(moved.attendees()[0].partstat, "TENTATIVE");
}

TEST(ICalTest, VTimezoneCalendarForTheCalendarTimezoneProperty) {
  absl::StatusOr<std::string> ny = VTimezoneCalendar("America/New_York");
  ASSERT_TRUE(ny.ok()) << ny.status();
  EXPECT_TRUE(absl::StartsWith(*ny, "BEGIN:VCALENDAR\r\n"));
  EXPECT_TRUE(HasLine(*ny, "TZID:America/New_York"));
  EXPECT_TRUE(HasLine(*ny, "BEGIN:DAYLIGHT"));
  EXPECT_TRUE(HasLine(*ny, "BEGIN:STANDARD"));
  EXPECT_THAT(*ny, Not(HasSubstr("X-LIC-LOCATION")));
  EXPECT_THAT(*ny, Not(HasSubstr("freeassociation")));
  absl::StatusOr<CalendarObject> parsed = CalendarObject::Parse(*ny);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->kind(), ComponentKind::kNone);
}

// libical's own serialization of the tree NewFreeBusyRequest built before it wrote text directly.
std::string LibicalFreeBusy(const FreeBusySpec& spec) {
  auto utc = [](absl::Time t) {
    absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
    icaltimetype v = icaltime_null_time();
    v.year = static_cast<int>(cs.year());
    v.month = cs.month();
    v.day = cs.day();
    v.hour = cs.hour();
    v.minute = cs.minute();
    v.second = cs.second();
    v.zone = icaltimezone_get_utc_timezone();
    return v;
  };
  icalcomponent* root = icalcomponent_new_vcalendar();
  icalcomponent_add_property(root, icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(root, icalproperty_new_version("2.0"));
  icalcomponent_add_property(root, icalproperty_new_method(ICAL_METHOD_REQUEST));
  icalcomponent_add_property(root, icalproperty_new_prodid(spec.prodid.c_str()));
  icalcomponent* fb = icalcomponent_new_vfreebusy();
  icalcomponent_add_component(root, fb);
  icalcomponent_add_property(fb, icalproperty_new_uid(spec.uid.c_str()));
  icalcomponent_add_property(fb, icalproperty_new_dtstart(utc(spec.start)));
  icalcomponent_add_property(fb, icalproperty_new_dtend(utc(spec.end)));
  for (const std::string& a : spec.attendees) {
    icalcomponent_add_property(fb, icalproperty_new_attendee(a.c_str()));
  }
  if (!spec.mask_uid.empty()) {
    icalproperty* mask = icalproperty_new_x(spec.mask_uid.c_str());
    icalproperty_set_x_name(mask, "X-CALENDARSERVER-MASK-UID");
    icalcomponent_add_property(fb, mask);
  }
  icalcomponent_add_property(fb, icalproperty_new_dtstamp(utc(spec.stamp)));
  icalcomponent_add_property(fb, icalproperty_new_organizer(spec.organizer.c_str()));
  std::string summary = spec.summary.empty()
                            ? absl::StrCat("Availability for ", absl::StrJoin(spec.attendees, ", "))
                            : spec.summary;
  icalcomponent_add_property(fb, icalproperty_new_summary(summary.c_str()));
  char* text = icalcomponent_as_ical_string_r(root);
  std::string out = text;
  icalmemory_free_buffer(text);
  icalcomponent_free(root);
  return out;
}

void ExpectSameAsLibical(const FreeBusySpec& spec) {
  absl::StatusOr<CalendarObject> obj = CalendarObject::NewFreeBusyRequest(spec);
  ASSERT_TRUE(obj.ok()) << obj.status();
  std::string ics = obj->Serialize();
  EXPECT_EQ(ics, LibicalFreeBusy(spec)) << "summary '" << spec.summary << "'";
  // libical reads the text back to the same request.
  absl::StatusOr<CalendarObject> back = CalendarObject::Parse(ics);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->parse_errors(), IsEmpty());
  // (libical's parser drops a value's trailing space, as in the default summary without
  // attendees; summary() gives the value as libical escapes it.)
  if (!spec.attendees.empty() || !spec.summary.empty()) {
    EXPECT_EQ(back->Serialize(), ics);
  }
  EXPECT_EQ(back->uid(), spec.uid);
  EXPECT_EQ(back->attendee_count(), static_cast<int>(spec.attendees.size()));
  if (!spec.summary.empty() && spec.summary.find_first_of(",;\\\n") == std::string::npos) {
    EXPECT_EQ(back->summary(), spec.summary);
  }
}

TEST(ICalTest, FreeBusyTextIsByteIdenticalToLibicals) {
  ExpectSameAsLibical(SimpleFreeBusy());
  // Every line length around the 75-octet fold, with and without break characters.
  for (int n = 40; n < 170; ++n) {
    FreeBusySpec fb = SimpleFreeBusy();
    fb.attendees[1] = absl::StrCat("mailto:", std::string(n, 'x'), "@example.com");
    fb.mask_uid = std::string(n, 'm');
    fb.summary = std::string(n, 's');
    ExpectSameAsLibical(fb);
    fb.summary = absl::StrCat(std::string(n / 2, 'a'), " b;c,d ", std::string(n / 3, 'e'));
    ExpectSameAsLibical(fb);
    fb.summary = "";  // the default, with ", " escaped
    ExpectSameAsLibical(fb);
    // Multi-byte UTF-8 must not be split (2- and 3-byte sequences at every offset).
    std::string utf8;
    for (int i = 0; i < n / 2; ++i) utf8 += (i % 3 == 0) ? "\xE6\x97\xA5" : "\xC3\xA4";
    fb.summary = absl::StrCat(std::string(n % 4, 'z'), utf8);
    ExpectSameAsLibical(fb);
  }
  // Values the direct writer leaves to libical.
  for (const char* odd : {"quote \" here", "back\\slash", "new\nline", "tab\there"}) {
    FreeBusySpec fb = SimpleFreeBusy();
    fb.summary = odd;
    ExpectSameAsLibical(fb);
  }
  FreeBusySpec spaced = SimpleFreeBusy();
  spaced.attendees[1] = "mailto:a b@example.com";
  spaced.mask_uid = "uid,with;separators";
  ExpectSameAsLibical(spaced);
  FreeBusySpec no_mask = SimpleFreeBusy();
  no_mask.mask_uid.clear();
  no_mask.attendees.clear();
  ExpectSameAsLibical(no_mask);
}

TEST(ICalTest, FreeBusyRequestIsATreeWhenAsked) {
  absl::StatusOr<CalendarObject> obj = CalendarObject::NewFreeBusyRequest(SimpleFreeBusy());
  ASSERT_TRUE(obj.ok());
  std::string ics = obj->Serialize();
  CalendarObject copy = *obj;
  EXPECT_EQ(copy.Serialize(), ics);
  ASSERT_NE(obj->raw(), nullptr);
  EXPECT_EQ(icalcomponent_isa(obj->raw()), ICAL_VCALENDAR_COMPONENT);
  EXPECT_EQ(obj->Serialize(), ics);  // now written by libical from the parsed tree
  ASSERT_TRUE(copy.AddAttendee(Invitee("mailto:user03@example.com", "User 03")).ok());
  EXPECT_EQ(copy.attendee_count(), 3);
  EXPECT_TRUE(HasLine(copy.Serialize(), "BEGIN:VFREEBUSY"));
  EXPECT_NE(copy.Serialize(), ics);
  EXPECT_EQ(obj->Serialize(), ics);  // the copy was independent
}

// libical's serialization of the object's complete tree (raw() clones pending zones in).
std::string LibicalText(const CalendarObject& obj) {
  char* text = icalcomponent_as_ical_string_r(obj.raw());
  std::string out = text;
  icalmemory_free_buffer(text);
  return out;
}

TEST(ICalTest, CachedVtimezoneTextIsWhatLibicalWrites) {
  for (const char* tz : {"America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata"}) {
    for (int attendees : {0, 5}) {
      EventSpec spec = SimpleEvent();
      spec.tzid = tz;
      spec.rrule = "FREQ=WEEKLY;COUNT=10";
      if (attendees > 0) {
        CalendarUser org;
        org.address = "mailto:user01@example.com";
        org.cn = "User 01";
        spec.organizer = org;
        for (int i = 0; i < attendees; ++i) {
          spec.attendees.push_back(Invitee(absl::StrCat("mailto:u", i, "@example.com"), "U"));
        }
      }
      absl::StatusOr<CalendarObject> ev = CalendarObject::NewEvent(spec);
      ASSERT_TRUE(ev.ok()) << ev.status();
      std::string spliced = ev->Serialize();
      CalendarObject copy = *ev;
      EXPECT_EQ(copy.Serialize(), spliced);
      EXPECT_EQ(LibicalText(*ev), spliced) << tz;  // the zone cloned in, as before
      EXPECT_EQ(ev->Serialize(), spliced);
      ASSERT_TRUE(ev->AddMissingTimezones().ok());  // still idempotent once materialized
      EXPECT_EQ(ev->Serialize(), spliced);
      absl::StatusOr<CalendarObject> back = CalendarObject::Parse(spliced);
      ASSERT_TRUE(back.ok());
      EXPECT_THAT(back->parse_errors(), IsEmpty());
      EXPECT_EQ(back->Serialize(), spliced);
    }
    absl::StatusOr<std::string> vtz = VTimezoneCalendar(tz);
    ASSERT_TRUE(vtz.ok());
    absl::StatusOr<CalendarObject> parsed = CalendarObject::Parse(*vtz);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->Serialize(), *vtz);
  }
}

TEST(ICalTest, SeveralZonesInOneObject) {
  absl::StatusOr<CalendarObject> obj = CalendarObject::Parse(
      "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Asia/Tokyo:20131022T090000\r\n"
      "DTEND;TZID=Europe/Berlin:20131022T090000\r\nEND:VEVENT\r\n"
      "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
      "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
      "BEGIN:VTODO\r\nUID:t\r\nDUE;TZID=America/New_York:20131022T090000\r\nEND:VTODO\r\n"
      "END:VCALENDAR\r\n");
  ASSERT_TRUE(obj.ok());
  EXPECT_THAT(obj->tzids(), ElementsAre("Asia/Tokyo", "Europe/Berlin", "America/New_York"));
  ASSERT_TRUE(obj->AddMissingTimezones().ok());
  ASSERT_TRUE(obj->AddMissingTimezones().ok());
  std::string ics = obj->Serialize();
  std::vector<std::string> zones;
  for (const std::string& l : Lines(ics)) {
    if (absl::StartsWith(l, "TZID:")) zones.push_back(l);
  }
  // The order libical gives when the zones are added one by one: each new one first.
  EXPECT_THAT(zones, ElementsAre("TZID:America/New_York", "TZID:Asia/Tokyo", "TZID:Europe/Berlin"));
  EXPECT_LT(ics.rfind("END:VTIMEZONE"), ics.find("BEGIN:VEVENT"));
  EXPECT_TRUE(HasLine(ics, "TZOFFSETFROM:+0200"));  // the object's own Berlin kept
  CalendarObject copy = *obj;
  EXPECT_EQ(copy.Serialize(), ics);
  EXPECT_EQ(LibicalText(*obj), ics);
  absl::StatusOr<CalendarObject> back = CalendarObject::Parse(ics);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(back->parse_errors(), IsEmpty());
  ASSERT_TRUE(back->AddMissingTimezones().ok());
  EXPECT_EQ(back->Serialize().size(), ics.size());  // nothing added twice
}

}  // namespace
}  // namespace loadsim
