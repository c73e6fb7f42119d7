// iCalendar objects of the simulated clients, on top of libical's C API.
//
// CalendarObject owns one parsed or generated VCALENDAR (RAII over icalcomponent) and offers
// what the profiles of spec section 4 need: build an event (Eventer / RealisticInviter), a task
// (Tasker) or a free-busy request (attendee lookup), read UID / METHOD / component kind /
// SEQUENCE / ORGANIZER / ATTENDEEs, change an attendee's PARTSTAT (Accepter), add an attendee
// (Inviter), and serialize back. Times given in a zone are written as local times with TZID
// and the VTIMEZONE is included (compacted from libical's builtin zone to its current rules).
//
// Cost: the hot paths avoid most of libical's work while keeping its output byte for byte.
// A VTIMEZONE added by AddMissingTimezones is not cloned into the tree: the object keeps a
// pointer to the process-wide compacted zone and splices its serialization (made once per
// TZID) where libical would have written the cloned component; raw() clones it in on demand.
// A free-busy request is written directly as text (content lines folded and escaped as
// libical does) and parsed into a libical tree only if something asks for the tree.
//
// Thread-safety: a CalendarObject is a plain value for one thread; even const methods move
// libical's internal iterators (and build the lazy tree), so do not share one object between
// threads. The builtin timezone data is process-global inside libical; this module serializes
// every access to it. The cached zones are immutable once made and shared by all threads.
#ifndef LOADSIM_WORKER_ICAL_H_
#define LOADSIM_WORKER_ICAL_H_

#include <libical/ical.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace loadsim {

// A compacted builtin VTIMEZONE and its serialization (worker/ical.cc; immutable, immortal).
struct CachedVtimezone;

struct IcalComponentDeleter {
  void operator()(icalcomponent* c) const;
};
using IcalComponentPtr = std::unique_ptr<icalcomponent, IcalComponentDeleter>;

// The PRODID of the Apple clients' templates.
inline constexpr char kAppleProdId[] = "-//Apple Inc.//iCal 4.0.3//EN";

enum class ComponentKind { kNone, kEvent, kTodo, kJournal, kFreeBusy, kOther };
// "VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "OTHER", "NONE".
const char* ComponentKindName(ComponentKind kind);

// An ORGANIZER or ATTENDEE property. Empty strings are parameters that are not present.
struct CalendarUser {
  std::string address;   // the value, e.g. "mailto:user01@example.com"
  std::string cn;        // CN
  std::string email;     // EMAIL (servers add it; the Accepter matches on it)
  std::string cutype;    // CUTYPE, e.g. "INDIVIDUAL"
  std::string partstat;  // PARTSTAT, e.g. "NEEDS-ACTION"
  std::string role;      // ROLE, e.g. "REQ-PARTICIPANT"
  bool rsvp = false;     // RSVP=TRUE
};

// An invitee as the Inviter adds one (spec 4.4): CUTYPE=INDIVIDUAL, PARTSTAT=NEEDS-ACTION,
// ROLE=REQ-PARTICIPANT, RSVP=TRUE.
CalendarUser Invitee(absl::string_view address, absl::string_view cn);

// An event as built by the Eventer template (spec 4.2), optionally with the scheduling
// properties of the RealisticInviter (4.5).
struct EventSpec {
  std::string uid;
  absl::Time created;  // CREATED and DTSTAMP, written in UTC
  absl::Time start;
  absl::Duration duration = absl::Hours(1);
  std::string tzid;  // "" or "UTC": UTC times; else local times with TZID
  std::string summary = "Simple event";
  int sequence = 2;
  std::string rrule;  // "" or a recurrence rule, e.g. "FREQ=DAILY;COUNT=10"
  std::optional<CalendarUser> organizer;
  std::vector<CalendarUser> attendees;
  std::string prodid = kAppleProdId;
};

// A task as built by the Tasker template (spec 4.3).
struct TaskSpec {
  std::string uid;
  absl::Time created;  // CREATED and DTSTAMP (UTC)
  absl::Time due;
  std::string tzid;  // as in EventSpec
  std::string summary = "Simple task";
  std::string prodid = kAppleProdId;
};

// The free-busy request POSTed to the outbox by the attendee lookup (spec 3.5).
struct FreeBusySpec {
  std::string uid;   // the clients use an upper-case UUID
  absl::Time start;  // written in UTC
  absl::Time end;
  absl::Time stamp;                    // DTSTAMP
  std::string organizer;               // "mailto:..."
  std::vector<std::string> attendees;  // recipients, "mailto:..."
  std::string mask_uid;                // X-CALENDARSERVER-MASK-UID, "" for none
  std::string summary;                 // "" -> "Availability for <attendees joined by ", ">"
  std::string prodid = kAppleProdId;
};

class CalendarObject {
 public:
  // Parses iCalendar text whose top level is a VCALENDAR. libical's X-LIC-ERROR markers for
  // lines it could not parse are removed and reported by parse_errors().
  static absl::StatusOr<CalendarObject> Parse(absl::string_view text);
  static absl::StatusOr<CalendarObject> NewEvent(const EventSpec& spec);
  static absl::StatusOr<CalendarObject> NewTask(const TaskSpec& spec);
  static absl::StatusOr<CalendarObject> NewFreeBusyRequest(const FreeBusySpec& spec);

  CalendarObject(const CalendarObject& other);
  CalendarObject& operator=(const CalendarObject& other);
  CalendarObject(CalendarObject&&) = default;
  CalendarObject& operator=(CalendarObject&&) = default;
  ~CalendarObject();

  // RFC 5545 text (CRLF line ends, folded lines).
  std::string Serialize() const;

  // The main component: the first VEVENT/VTODO/VJOURNAL/VFREEBUSY without RECURRENCE-ID (the
  // first one of any of these kinds if all are overrides). The accessors below read it.
  ComponentKind kind() const;
  std::string uid() const;
  std::string method() const;  // the VCALENDAR's METHOD; "" if none
  std::string summary() const;
  int sequence() const;  // 0 if none
  std::optional<CalendarUser> organizer() const;
  std::vector<CalendarUser> attendees() const;
  int attendee_count() const;
  // Every TZID parameter used by a property anywhere in the object, without duplicates.
  std::vector<std::string> tzids() const;
  const std::vector<std::string>& parse_errors() const { return parse_errors_; }

  // Sets PARTSTAT of the main component's attendee `who` (its address, or its EMAIL
  // parameter; "mailto:" optional, case-insensitive) and removes its RSVP parameter.
  // NotFound if there is no such attendee.
  absl::Status SetAttendeePartstat(absl::string_view who, absl::string_view partstat);
  // Adds an ATTENDEE to the main component. AlreadyExists if the address is already there.
  absl::Status AddAttendee(const CalendarUser& attendee);
  // Sets (or replaces) the main component's ORGANIZER.
  absl::Status SetOrganizer(const CalendarUser& organizer);
  // Adds a VTIMEZONE for every TZID in use that has none (spec 3.5: the PUT body carries
  // them). NotFound for a zone libical does not know.
  absl::Status AddMissingTimezones();

  // The libical tree (owned by this object), for anything not covered above. Builds the
  // complete tree first (free-busy text parsed, pending VTIMEZONEs cloned in), so callers may
  // read and change it; Serialize() then writes the tree as it is.
  icalcomponent* raw() const;

 private:
  explicit CalendarObject(IcalComponentPtr root);
  // The tree, parsed from text_ first if this object is still only text (free-busy request);
  // without the pending zones_. nullptr only for a moved-from object.
  icalcomponent* Tree() const;
  icalcomponent* Main() const;

  // Lazily built from text_ (see Tree()); mutable because const accessors may build it.
  mutable IcalComponentPtr root_;
  // Non-empty only while root_ is null: the whole object as RFC 5545 text.
  mutable std::string text_;
  // VTIMEZONEs that belong to the VCALENDAR but are not cloned into root_ yet, in the order
  // they were added. libical puts every added VTIMEZONE first among the children, so they
  // serialize before all of root_'s children, the last added first.
  mutable std::vector<const CachedVtimezone*> zones_;
  std::vector<std::string> parse_errors_;
};

// A VCALENDAR holding only the compact VTIMEZONE of `tzid` (the value of the
// caldav:calendar-timezone property the OS X clients PROPPATCH). NotFound for unknown zones.
absl::StatusOr<std::string> VTimezoneCalendar(absl::string_view tzid);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_ICAL_H_
