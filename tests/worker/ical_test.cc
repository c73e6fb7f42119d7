#include "worker/ical.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
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
  FreeBusySpec fb;
  fb.uid = "A1B2C3";
  fb.start = Utc(2013, 10, 22, 0, 0);
  fb.end = fb.start + absl::Hours(24);
  fb.stamp = Utc(2013, 10, 21, 12, 0);
  fb.organizer = "mailto:user01@example.com";
  fb.attendees = {"mailto:user01@example.com", "mailto:user02@example.com"};
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

}  // namespace
}  // namespace loadsim
