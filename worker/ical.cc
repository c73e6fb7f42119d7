#include "worker/ical.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace loadsim {
namespace {

// Strings that libical's *_r functions hand over to the caller.
struct IcalBufferDeleter {
  void operator()(char* p) const { icalmemory_free_buffer(p); }
};
using IcalString = std::unique_ptr<char, IcalBufferDeleter>;

struct IcalPropertyDeleter {
  void operator()(icalproperty* p) const { icalproperty_free(p); }
};
using IcalPropertyPtr = std::unique_ptr<icalproperty, IcalPropertyDeleter>;

// libical's builtin timezones (and our compacted copies of them) are process-global state;
// every access goes through this lock.
std::mutex& TimezoneMutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}

icaltimezone* Utc() {
  static icaltimezone* utc = icaltimezone_get_utc_timezone();  // initialized once, thread-safe
  return utc;
}

bool IsUtcZone(absl::string_view tzid) { return tzid.empty() || tzid == "UTC" || tzid == "Z"; }

icaltimetype FromCivil(const absl::CivilSecond& cs, const icaltimezone* zone) {
  icaltimetype t = icaltime_null_time();
  t.year = static_cast<int>(cs.year());
  t.month = cs.month();
  t.day = cs.day();
  t.hour = cs.hour();
  t.minute = cs.minute();
  t.second = cs.second();
  t.is_date = 0;
  t.zone = zone;
  return t;
}

icaltimetype UtcTime(absl::Time t) {
  return FromCivil(absl::ToCivilSecond(t, absl::UTCTimeZone()), Utc());
}

// A DTSTART/DTEND/DUE property for `t`: UTC, or the local time in `tzid` with a TZID parameter.
absl::StatusOr<IcalPropertyPtr> TimeProperty(icalproperty* (*make)(icaltimetype), absl::Time t,
                                             const std::string& tzid) {
  if (IsUtcZone(tzid)) return IcalPropertyPtr(make(UtcTime(t)));
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(tzid, &zone)) {
    return absl::NotFoundError(absl::StrCat("unknown time zone '", tzid, "'"));
  }
  IcalPropertyPtr p(make(FromCivil(absl::ToCivilSecond(t, zone), nullptr)));  // floating
  icalproperty_add_parameter(p.get(), icalparameter_new_tzid(tzid.c_str()));
  return p;
}

std::string Param(icalproperty* p, const char* name) {
  IcalString s(icalproperty_get_parameter_as_string_r(p, name));
  return s ? std::string(s.get()) : std::string();
}

std::vector<icalproperty*> Properties(icalcomponent* c, icalproperty_kind kind) {
  std::vector<icalproperty*> out;
  for (icalproperty* p = icalcomponent_get_first_property(c, kind); p != nullptr;
       p = icalcomponent_get_next_property(c, kind)) {
    out.push_back(p);
  }
  return out;
}

std::vector<icalcomponent*> Components(icalcomponent* c, icalcomponent_kind kind) {
  std::vector<icalcomponent*> out;
  for (icalcomponent* s = icalcomponent_get_first_component(c, kind); s != nullptr;
       s = icalcomponent_get_next_component(c, kind)) {
    out.push_back(s);
  }
  return out;
}

void RemoveProperties(icalcomponent* c, icalproperty_kind kind) {
  for (icalproperty* p : Properties(c, kind)) {
    icalcomponent_remove_property(c, p);
    icalproperty_free(p);
  }
}

CalendarUser UserFrom(icalproperty* p) {
  CalendarUser u;
  IcalString value(icalproperty_get_value_as_string_r(p));
  if (value) u.address = value.get();
  u.cn = Param(p, "CN");
  u.email = Param(p, "EMAIL");
  u.cutype = Param(p, "CUTYPE");
  u.partstat = Param(p, "PARTSTAT");
  u.role = Param(p, "ROLE");
  u.rsvp = absl::EqualsIgnoreCase(Param(p, "RSVP"), "TRUE");
  return u;
}

absl::Status AddEnumParam(icalproperty* p, icalparameter_kind kind, const std::string& value) {
  if (value.empty()) return absl::OkStatus();
  icalparameter* param = icalparameter_new_from_value_string(kind, value.c_str());
  if (param == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", icalparameter_kind_to_string(kind), " value '", value, "'"));
  }
  icalproperty_add_parameter(p, param);
  return absl::OkStatus();
}

// An ORGANIZER or ATTENDEE property carrying `u`'s parameters.
absl::StatusOr<IcalPropertyPtr> UserProperty(icalproperty_kind kind, const CalendarUser& u) {
  if (u.address.empty()) return absl::InvalidArgumentError("calendar user without an address");
  IcalPropertyPtr p(kind == ICAL_ORGANIZER_PROPERTY ? icalproperty_new_organizer(u.address.c_str())
                                                    : icalproperty_new_attendee(u.address.c_str()));
  if (!u.cn.empty()) icalproperty_add_parameter(p.get(), icalparameter_new_cn(u.cn.c_str()));
  absl::Status s = AddEnumParam(p.get(), ICAL_CUTYPE_PARAMETER, u.cutype);
  if (s.ok() && !u.email.empty()) {
    icalproperty_add_parameter(p.get(), icalparameter_new_email(u.email.c_str()));
  }
  if (s.ok()) s = AddEnumParam(p.get(), ICAL_PARTSTAT_PARAMETER, u.partstat);
  if (s.ok()) s = AddEnumParam(p.get(), ICAL_ROLE_PARAMETER, u.role);
  if (s.ok() && u.rsvp) icalproperty_add_parameter(p.get(), icalparameter_new_rsvp(ICAL_RSVP_TRUE));
  if (!s.ok()) return s;
  return p;
}

absl::string_view WithoutMailto(absl::string_view address) {
  absl::string_view a = absl::StripAsciiWhitespace(address);
  if (absl::StartsWithIgnoreCase(a, "mailto:")) a.remove_prefix(7);
  return a;
}

bool IsUser(const CalendarUser& u, absl::string_view who) {
  absl::string_view w = WithoutMailto(who);
  return absl::EqualsIgnoreCase(WithoutMailto(u.address), w) ||
         (!u.email.empty() && absl::EqualsIgnoreCase(WithoutMailto(u.email), w));
}

// The time of the last transition an observance describes (for picking the current one of a
// zone without ongoing rules).
icaltimetype LastTransition(icalcomponent* observance) {
  icaltimetype last = icaltime_null_time();
  icalproperty* start = icalcomponent_get_first_property(observance, ICAL_DTSTART_PROPERTY);
  if (start != nullptr) last = icalproperty_get_dtstart(start);
  for (icalproperty* r : Properties(observance, ICAL_RDATE_PROPERTY)) {
    icaltimetype t = icalproperty_get_rdate(r).time;
    if (!icaltime_is_null_time(t) && icaltime_compare(t, last) > 0) last = t;
  }
  for (icalproperty* r : Properties(observance, ICAL_RRULE_PROPERTY)) {
    icaltimetype until = icalproperty_get_rrule(r).until;
    if (!icaltime_is_null_time(until) && icaltime_compare(until, last) > 0) last = until;
  }
  return last;
}

// Moves an ongoing observance's DTSTART to its rule's first occurrence in 1970 (libical's
// zoneinfo conversion starts them in 2037, after every date we would write).
void StartIn1970(icalcomponent* observance) {
  icalproperty* start = icalcomponent_get_first_property(observance, ICAL_DTSTART_PROPERTY);
  icalproperty* rule = icalcomponent_get_first_property(observance, ICAL_RRULE_PROPERTY);
  if (start == nullptr || rule == nullptr) return;
  icaltimetype base = icalproperty_get_dtstart(start);
  base.year = 1970;
  base.month = 1;
  base.day = 1;
  base.zone = nullptr;
  icalrecur_iterator* it = icalrecur_iterator_new(icalproperty_get_rrule(rule), base);
  if (it == nullptr) return;
  for (int i = 0; i < 4; ++i) {
    icaltimetype next = icalrecur_iterator_next(it);
    if (icaltime_is_null_time(next)) break;
    if (icaltime_compare(next, base) != 0) {
      icalproperty_set_dtstart(start, next);
      break;
    }
  }
  icalrecur_iterator_free(it);
}

// A VTIMEZONE with TZID `tzid` and only the zone's current rules: its ongoing RRULE
// observances, or (zones without daylight saving time today) the observance in force now,
// turned into a fixed offset. REQUIRES: TimezoneMutex held (reads libical's shared zone).
absl::StatusOr<IcalComponentPtr> CompactZone(icalcomponent* full, absl::string_view tzid) {
  std::vector<icalcomponent*> observances;
  for (icalcomponent* c : Components(full, ICAL_ANY_COMPONENT)) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k == ICAL_XSTANDARD_COMPONENT || k == ICAL_XDAYLIGHT_COMPONENT) observances.push_back(c);
  }
  if (observances.empty()) {
    return absl::InternalError(absl::StrCat("libical's zone '", tzid, "' has no observances"));
  }
  IcalComponentPtr out(icalcomponent_new_vtimezone());
  icalcomponent_add_property(out.get(), icalproperty_new_tzid(std::string(tzid).c_str()));
  bool any_ongoing = false;
  for (icalcomponent* o : observances) {
    icalproperty* rule = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY);
    if (rule == nullptr) continue;
    icalrecurrencetype r = icalproperty_get_rrule(rule);
    if (!icaltime_is_null_time(r.until) || r.count != 0) continue;
    icalcomponent* copy = icalcomponent_new_clone(o);
    RemoveProperties(copy, ICAL_RDATE_PROPERTY);
    StartIn1970(copy);
    icalcomponent_add_component(out.get(), copy);
    any_ongoing = true;
  }
  if (!any_ongoing) {
    icalcomponent* current = observances.front();
    for (icalcomponent* o : observances) {
      if (icaltime_compare(LastTransition(o), LastTransition(current)) > 0) current = o;
    }
    icalcomponent* copy = icalcomponent_new_clone(current);
    RemoveProperties(copy, ICAL_RRULE_PROPERTY);
    RemoveProperties(copy, ICAL_RDATE_PROPERTY);
    RemoveProperties(copy, ICAL_DTSTART_PROPERTY);
    icaltimetype start = icaltime_null_time();
    start.year = 1970;
    start.month = 1;
    start.day = 1;
    icalcomponent_add_property(copy, icalproperty_new_dtstart(start));
    icalproperty* to = icalcomponent_get_first_property(copy, ICAL_TZOFFSETTO_PROPERTY);
    if (to != nullptr) {
      RemoveProperties(copy, ICAL_TZOFFSETFROM_PROPERTY);
      icalcomponent_add_property(copy,
                                 icalproperty_new_tzoffsetfrom(icalproperty_get_tzoffsetto(to)));
    }
    icalcomponent_add_component(out.get(), copy);
  }
  return out;
}

}  // namespace

struct CachedVtimezone {
  std::string tzid;
  IcalComponentPtr component;  // the compact VTIMEZONE; clone only under TimezoneMutex
  std::string text;            // icalcomponent_as_ical_string_r(component)
};

namespace {

// The compact VTIMEZONE of `tzid`, compacted and serialized once per process and zone. The
// entry lives as long as the process and never changes, so its text may be read without the
// lock.
absl::StatusOr<const CachedVtimezone*> FindZone(absl::string_view tzid) {
  std::lock_guard<std::mutex> lock(TimezoneMutex());
  static auto* cache =
      new std::map<std::string, std::unique_ptr<const CachedVtimezone>, std::less<>>;
  auto it = cache->find(tzid);
  if (it == cache->end()) {
    std::string name(tzid);
    icaltimezone* zone = icaltimezone_get_builtin_timezone(name.c_str());
    icalcomponent* full = zone == nullptr ? nullptr : icaltimezone_get_component(zone);
    if (full == nullptr) {
      return absl::NotFoundError(absl::StrCat("libical has no time zone '", tzid, "'"));
    }
    absl::StatusOr<IcalComponentPtr> compact = CompactZone(full, tzid);
    if (!compact.ok()) return compact.status();
    auto entry = std::make_unique<CachedVtimezone>();
    entry->tzid = name;
    entry->component = *std::move(compact);
    IcalString text(icalcomponent_as_ical_string_r(entry->component.get()));
    if (text == nullptr) return absl::InternalError("libical could not write a VTIMEZONE");
    entry->text = text.get();
    it = cache->emplace(std::move(name), std::move(entry)).first;
  }
  return it->second.get();
}

// What icalcomponent_as_ical_string_r(root) gives once every zone of `zones` is added to root
// (icalcomponent_add_component puts each VTIMEZONE first, so the last added comes first),
// without cloning and serializing the zones again.
std::string SerializeWithZones(icalcomponent* root,
                               const std::vector<const CachedVtimezone*>& zones) {
  if (zones.empty()) {
    IcalString text(icalcomponent_as_ical_string_r(root));
    return text ? std::string(text.get()) : std::string();
  }
  std::string out = "BEGIN:VCALENDAR\r\n";
  for (icalproperty* p = icalcomponent_get_first_property(root, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(root, ICAL_ANY_PROPERTY)) {
    IcalString line(icalproperty_as_ical_string_r(p));
    if (line) out += line.get();
  }
  for (auto z = zones.rbegin(); z != zones.rend(); ++z) out += (*z)->text;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c != nullptr;
       c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    IcalString text(icalcomponent_as_ical_string_r(c));
    if (text) out += text.get();
  }
  out += "END:VCALENDAR\r\n";
  return out;
}

// --- Direct writer for the free-busy request --------------------------------------------------
// Writes content lines exactly as libical 3's icalproperty_as_ical_string_r does for the plain
// values below; anything else makes the caller fall back to building a libical tree.

// libical's get_next_line_start: lines of at most 75 octets including the CRLF still to come;
// break after the last ';', ':' or ' ' that fits, else before a UTF-8 lead or ASCII byte.
size_t NextLineStart(absl::string_view text, size_t start) {
  constexpr size_t kMaxLineLen = 75;
  size_t left = text.size() - start;
  if (left < kMaxLineLen) return text.size();
  for (size_t p = start + kMaxLineLen - 2; p > start; --p) {
    if (text[p] == ';' || text[p] == ':' || text[p] == ' ') return p + 1;
  }
  for (size_t p = start + kMaxLineLen - 1; p > start; --p) {
    unsigned char c = static_cast<unsigned char>(text[p]);
    if ((c & 0x80) == 0 || (c & 0xC0) == 0xC0) return p;
  }
  return start + kMaxLineLen - 1;
}

// Appends `line` (a content line without its CRLF) folded as libical's fold_property_line.
void AppendFolded(absl::string_view line, std::string* out) {
  if (line.size() + 2 < 75) {
    absl::StrAppend(out, line, "\r\n");
    return;
  }
  std::string text = absl::StrCat(line, "\r\n");
  for (size_t start = 0; start < text.size();) {
    size_t next = NextLineStart(text, start);
    if (start > 0) out->append("\r\n ");
    out->append(text, start, next - start);
    start = next;
  }
}

// A TEXT value as libical escapes it (',' and ';' get a backslash); false for values with
// characters whose escaping this writer does not reproduce (control characters, '\\', '"').
bool AppendTextValue(absl::string_view value, std::string* out) {
  if (value.empty()) return false;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '\\' || c == '"') return false;
    if (c == ',' || c == ';') out->push_back('\\');
    out->push_back(c);
  }
  return true;
}

// A CAL-ADDRESS or X value, which libical writes unchanged; false unless it is printable
// ASCII without separators, quotes or backslashes.
bool AppendPlainValue(absl::string_view value, std::string* out) {
  if (value.empty()) return false;
  for (char c : value) {
    if (c <= ' ' || c >= 0x7F || c == ',' || c == ';' || c == '"' || c == '\\') return false;
  }
  out->append(value.data(), value.size());
  return true;
}

// A UTC DATE-TIME as libical writes it: 20131022T150000Z.
bool AppendUtcValue(absl::Time t, std::string* out) {
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (cs.year() < 0 || cs.year() > 9999) return false;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", static_cast<int>(cs.year()),
                cs.month(), cs.day(), cs.hour(), cs.minute(), cs.second());
  out->append(buf);
  return true;
}

enum class ValueType { kText, kPlain, kUtc };

// One content line "NAME:value"; false (leaving `out` in an unspecified state) if the value
// is not one the writer reproduces.
bool AppendLine(absl::string_view name, ValueType type, absl::string_view value, absl::Time t,
                std::string* line, std::string* out) {
  line->assign(name.data(), name.size());
  line->push_back(':');
  bool ok = type == ValueType::kText    ? AppendTextValue(value, line)
            : type == ValueType::kPlain ? AppendPlainValue(value, line)
                                        : AppendUtcValue(t, line);
  if (ok) AppendFolded(*line, out);
  return ok;
}

// The free-busy request as libical would serialize the tree NewFreeBusyRequest builds, or
// nullopt if a value is outside what the direct writer reproduces.
std::optional<std::string> FreeBusyText(const FreeBusySpec& spec, const std::string& summary) {
  std::string out;
  out.reserve(640);
  std::string line;
  line.reserve(160);
  out += "BEGIN:VCALENDAR\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n";
  bool ok = AppendLine("PRODID", ValueType::kText, spec.prodid, {}, &line, &out);
  out += "BEGIN:VFREEBUSY\r\n";
  ok = ok && AppendLine("UID", ValueType::kText, spec.uid, {}, &line, &out);
  ok = ok && AppendLine("DTSTART", ValueType::kUtc, "", spec.start, &line, &out);
  ok = ok && AppendLine("DTEND", ValueType::kUtc, "", spec.end, &line, &out);
  for (const std::string& a : spec.attendees) {
    ok = ok && AppendLine("ATTENDEE", ValueType::kPlain, a, {}, &line, &out);
  }
  if (!spec.mask_uid.empty()) {
    ok = ok &&
         AppendLine("X-CALENDARSERVER-MASK-UID", ValueType::kPlain, spec.mask_uid, {}, &line, &out);
  }
  ok = ok && AppendLine("DTSTAMP", ValueType::kUtc, "", spec.stamp, &line, &out);
  ok = ok && AppendLine("ORGANIZER", ValueType::kPlain, spec.organizer, {}, &line, &out);
  ok = ok && AppendLine("SUMMARY", ValueType::kText, summary, {}, &line, &out);
  if (!ok) return std::nullopt;
  out += "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";
  return out;
}

IcalComponentPtr NewVcalendar(const std::string& prodid) {
  IcalComponentPtr root(icalcomponent_new_vcalendar());
  icalcomponent_add_property(root.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(root.get(), icalproperty_new_prodid(prodid.c_str()));
  icalcomponent_add_property(root.get(), icalproperty_new_calscale("GREGORIAN"));
  return root;
}

bool IsMainKind(icalcomponent_kind k) {
  return k == ICAL_VEVENT_COMPONENT || k == ICAL_VTODO_COMPONENT || k == ICAL_VJOURNAL_COMPONENT ||
         k == ICAL_VFREEBUSY_COMPONENT;
}

// Removes libical's X-LIC-ERROR markers from the whole tree and returns their texts.
std::vector<std::string> StripParseErrors(icalcomponent* root) {
  std::vector<std::string> errors;
  std::vector<icalcomponent*> todo = {root};
  while (!todo.empty()) {
    icalcomponent* c = todo.back();
    todo.pop_back();
    for (icalproperty* p : Properties(c, ICAL_XLICERROR_PROPERTY)) {
      const char* text = icalproperty_get_xlicerror(p);
      errors.emplace_back(text != nullptr ? text : "");
      icalcomponent_remove_property(c, p);
      icalproperty_free(p);
    }
    for (icalcomponent* s : Components(c, ICAL_ANY_COMPONENT)) todo.push_back(s);
  }
  return errors;
}

std::string TextOf(icalcomponent* c, icalproperty_kind kind) {
  if (c == nullptr) return "";
  icalproperty* p = icalcomponent_get_first_property(c, kind);
  if (p == nullptr) return "";
  IcalString value(icalproperty_get_value_as_string_r(p));
  return value ? std::string(value.get()) : std::string();
}

absl::Status AddRrule(icalcomponent* c, absl::string_view rrule) {
  absl::string_view text = absl::StripAsciiWhitespace(rrule);
  if (text.empty()) return absl::OkStatus();
  absl::ConsumePrefix(&text, "RRULE:");
  std::string rule(text);
  icalrecurrencetype r = icalrecurrencetype_from_string(rule.c_str());
  if (r.freq == ICAL_NO_RECURRENCE) {
    return absl::InvalidArgumentError(absl::StrCat("invalid recurrence rule '", rrule, "'"));
  }
  icalcomponent_add_property(c, icalproperty_new_rrule(r));
  return absl::OkStatus();
}

absl::Status AddTime(icalcomponent* c, icalproperty* (*make)(icaltimetype), absl::Time t,
                     const std::string& tzid) {
  absl::StatusOr<IcalPropertyPtr> p = TimeProperty(make, t, tzid);
  if (!p.ok()) return p.status();
  icalcomponent_add_property(c, p->release());
  return absl::OkStatus();
}

absl::Status AddUser(icalcomponent* c, icalproperty_kind kind, const CalendarUser& u) {
  absl::StatusOr<IcalPropertyPtr> p = UserProperty(kind, u);
  if (!p.ok()) return p.status();
  icalcomponent_add_property(c, p->release());
  return absl::OkStatus();
}

// Appends every TZID parameter under `c` not in `out` yet (properties before subcomponents,
// depth first, in document order).
void AppendTzids(icalcomponent* c, std::vector<std::string>* out) {
  for (icalproperty* p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p != nullptr;
       p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
    icalparameter* tz = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    const char* name = tz == nullptr ? nullptr : icalparameter_get_tzid(tz);
    if (name == nullptr || *name == '\0') continue;
    if (std::find(out->begin(), out->end(), name) == out->end()) out->emplace_back(name);
  }
  for (icalcomponent* s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s != nullptr;
       s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
    AppendTzids(s, out);
  }
}

}  // namespace

void IcalComponentDeleter::operator()(icalcomponent* c) const { icalcomponent_free(c); }

const char* ComponentKindName(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kEvent:
      return "VEVENT";
    case ComponentKind::kTodo:
      return "VTODO";
    case ComponentKind::kJournal:
      return "VJOURNAL";
    case ComponentKind::kFreeBusy:
      return "VFREEBUSY";
    case ComponentKind::kOther:
      return "OTHER";
    case ComponentKind::kNone:
      break;
  }
  return "NONE";
}

CalendarUser Invitee(absl::string_view address, absl::string_view cn) {
  CalendarUser u;
  u.address = std::string(address);
  u.cn = std::string(cn);
  u.cutype = "INDIVIDUAL";
  u.partstat = "NEEDS-ACTION";
  u.role = "REQ-PARTICIPANT";
  u.rsvp = true;
  return u;
}

CalendarObject::CalendarObject(IcalComponentPtr root) : root_(std::move(root)) {}

CalendarObject::CalendarObject(const CalendarObject& other)
    : root_(other.root_ ? icalcomponent_new_clone(other.root_.get()) : nullptr),
      text_(other.text_),
      zones_(other.zones_),
      parse_errors_(other.parse_errors_) {}

CalendarObject& CalendarObject::operator=(const CalendarObject& other) {
  if (this != &other) {
    root_.reset(other.root_ ? icalcomponent_new_clone(other.root_.get()) : nullptr);
    text_ = other.text_;
    zones_ = other.zones_;
    parse_errors_ = other.parse_errors_;
  }
  return *this;
}

icalcomponent* CalendarObject::Tree() const {
  if (root_ == nullptr && !text_.empty()) {
    // Text this module wrote itself; libical reads it back as the tree it came from.
    root_.reset(icalparser_parse_string(text_.c_str()));
    text_.clear();
  }
  return root_.get();
}

icalcomponent* CalendarObject::raw() const {
  icalcomponent* root = Tree();
  if (root != nullptr && !zones_.empty()) {
    std::lock_guard<std::mutex> lock(TimezoneMutex());
    for (const CachedVtimezone* z : zones_) {
      icalcomponent_add_component(root, icalcomponent_new_clone(z->component.get()));
    }
  }
  zones_.clear();
  return root;
}

CalendarObject::~CalendarObject() = default;

absl::StatusOr<CalendarObject> CalendarObject::Parse(absl::string_view text) {
  std::string copy(text);  // libical wants a NUL-terminated string
  IcalComponentPtr root(icalparser_parse_string(copy.c_str()));
  if (root == nullptr) {
    return absl::InvalidArgumentError("not iCalendar data: libical found no component");
  }
  icalcomponent_kind kind = icalcomponent_isa(root.get());
  if (kind != ICAL_VCALENDAR_COMPONENT) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a VCALENDAR, got ", icalcomponent_kind_to_string(kind)));
  }
  CalendarObject obj(std::move(root));
  obj.parse_errors_ = StripParseErrors(obj.root_.get());
  return obj;
}

absl::StatusOr<CalendarObject> CalendarObject::NewEvent(const EventSpec& spec) {
  if (spec.uid.empty()) return absl::InvalidArgumentError("event without UID");
  if (spec.duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("event with a negative duration");
  }
  CalendarObject obj(NewVcalendar(spec.prodid));
  icalcomponent* ev = icalcomponent_new_vevent();
  icalcomponent_add_component(obj.root_.get(), ev);  // owned by the calendar from here on
  icalcomponent_add_property(ev, icalproperty_new_uid(spec.uid.c_str()));
  icalcomponent_add_property(ev, icalproperty_new_created(UtcTime(spec.created)));
  icalcomponent_add_property(ev, icalproperty_new_dtstamp(UtcTime(spec.created)));
  absl::Status s = AddTime(ev, icalproperty_new_dtstart, spec.start, spec.tzid);
  if (s.ok()) s = AddTime(ev, icalproperty_new_dtend, spec.start + spec.duration, spec.tzid);
  if (!s.ok()) return s;
  icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
  icalcomponent_add_property(ev, icalproperty_new_summary(spec.summary.c_str()));
  icalcomponent_add_property(ev, icalproperty_new_sequence(spec.sequence));
  s = AddRrule(ev, spec.rrule);
  if (s.ok() && spec.organizer) s = AddUser(ev, ICAL_ORGANIZER_PROPERTY, *spec.organizer);
  for (const CalendarUser& a : spec.attendees) {
    if (s.ok()) s = AddUser(ev, ICAL_ATTENDEE_PROPERTY, a);
  }
  if (s.ok()) s = obj.AddMissingTimezones();
  if (!s.ok()) return s;
  return obj;
}

absl::StatusOr<CalendarObject> CalendarObject::NewTask(const TaskSpec& spec) {
  if (spec.uid.empty()) return absl::InvalidArgumentError("task without UID");
  CalendarObject obj(NewVcalendar(spec.prodid));
  icalcomponent* todo = icalcomponent_new_vtodo();
  icalcomponent_add_component(obj.root_.get(), todo);
  icalcomponent_add_property(todo, icalproperty_new_uid(spec.uid.c_str()));
  icalcomponent_add_property(todo, icalproperty_new_created(UtcTime(spec.created)));
  icalcomponent_add_property(todo, icalproperty_new_dtstamp(UtcTime(spec.created)));
  icalcomponent_add_property(todo, icalproperty_new_summary(spec.summary.c_str()));
  absl::Status s = AddTime(todo, icalproperty_new_due, spec.due, spec.tzid);
  if (s.ok()) s = obj.AddMissingTimezones();
  if (!s.ok()) return s;
  return obj;
}

absl::StatusOr<CalendarObject> CalendarObject::NewFreeBusyRequest(const FreeBusySpec& spec) {
  if (spec.uid.empty()) return absl::InvalidArgumentError("free-busy request without UID");
  if (spec.organizer.empty()) {
    return absl::InvalidArgumentError("free-busy request without ORGANIZER");
  }
  std::string summary = spec.summary.empty()
                            ? absl::StrCat("Availability for ", absl::StrJoin(spec.attendees, ", "))
                            : spec.summary;
  if (std::optional<std::string> text = FreeBusyText(spec, summary)) {
    CalendarObject obj(nullptr);
    obj.text_ = *std::move(text);
    return obj;
  }
  IcalComponentPtr root(icalcomponent_new_vcalendar());
  icalcomponent_add_property(root.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(root.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(root.get(), icalproperty_new_method(ICAL_METHOD_REQUEST));
  icalcomponent_add_property(root.get(), icalproperty_new_prodid(spec.prodid.c_str()));
  CalendarObject obj(std::move(root));
  icalcomponent* fb = icalcomponent_new_vfreebusy();
  icalcomponent_add_component(obj.root_.get(), fb);
  icalcomponent_add_property(fb, icalproperty_new_uid(spec.uid.c_str()));
  icalcomponent_add_property(fb, icalproperty_new_dtstart(UtcTime(spec.start)));
  icalcomponent_add_property(fb, icalproperty_new_dtend(UtcTime(spec.end)));
  for (const std::string& a : spec.attendees) {
    icalcomponent_add_property(fb, icalproperty_new_attendee(a.c_str()));
  }
  if (!spec.mask_uid.empty()) {
    icalproperty* mask = icalproperty_new_x(spec.mask_uid.c_str());
    icalproperty_set_x_name(mask, "X-CALENDARSERVER-MASK-UID");
    icalcomponent_add_property(fb, mask);
  }
  icalcomponent_add_property(fb, icalproperty_new_dtstamp(UtcTime(spec.stamp)));
  icalcomponent_add_property(fb, icalproperty_new_organizer(spec.organizer.c_str()));
  icalcomponent_add_property(fb, icalproperty_new_summary(summary.c_str()));
  return obj;
}

std::string CalendarObject::Serialize() const {
  if (root_ == nullptr) return text_;
  return SerializeWithZones(root_.get(), zones_);
}

icalcomponent* CalendarObject::Main() const {
  icalcomponent* root = Tree();
  if (root == nullptr) return nullptr;
  icalcomponent* first = nullptr;
  for (icalcomponent* c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c != nullptr;
       c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
    if (!IsMainKind(icalcomponent_isa(c))) continue;
    if (first == nullptr) first = c;
    if (icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY) == nullptr) return c;
  }
  return first;
}

ComponentKind CalendarObject::kind() const {
  icalcomponent* main = Main();
  if (main == nullptr) return ComponentKind::kNone;
  switch (icalcomponent_isa(main)) {
    case ICAL_VEVENT_COMPONENT:
      return ComponentKind::kEvent;
    case ICAL_VTODO_COMPONENT:
      return ComponentKind::kTodo;
    case ICAL_VJOURNAL_COMPONENT:
      return ComponentKind::kJournal;
    case ICAL_VFREEBUSY_COMPONENT:
      return ComponentKind::kFreeBusy;
    default:
      return ComponentKind::kOther;
  }
}

std::string CalendarObject::uid() const { return TextOf(Main(), ICAL_UID_PROPERTY); }

std::string CalendarObject::method() const { return TextOf(Tree(), ICAL_METHOD_PROPERTY); }

std::string CalendarObject::summary() const { return TextOf(Main(), ICAL_SUMMARY_PROPERTY); }

int CalendarObject::sequence() const {
  icalcomponent* main = Main();
  if (main == nullptr) return 0;
  icalproperty* p = icalcomponent_get_first_property(main, ICAL_SEQUENCE_PROPERTY);
  return p == nullptr ? 0 : icalproperty_get_sequence(p);
}

std::optional<CalendarUser> CalendarObject::organizer() const {
  icalcomponent* main = Main();
  if (main == nullptr) return std::nullopt;
  icalproperty* p = icalcomponent_get_first_property(main, ICAL_ORGANIZER_PROPERTY);
  if (p == nullptr) return std::nullopt;
  return UserFrom(p);
}

std::vector<CalendarUser> CalendarObject::attendees() const {
  std::vector<CalendarUser> out;
  icalcomponent* main = Main();
  if (main == nullptr) return out;
  for (icalproperty* p : Properties(main, ICAL_ATTENDEE_PROPERTY)) out.push_back(UserFrom(p));
  return out;
}

int CalendarObject::attendee_count() const {
  icalcomponent* main = Main();
  return main == nullptr ? 0 : icalcomponent_count_properties(main, ICAL_ATTENDEE_PROPERTY);
}

std::vector<std::string> CalendarObject::tzids() const {
  std::vector<std::string> out;
  icalcomponent* root = Tree();
  if (root != nullptr) AppendTzids(root, &out);
  return out;
}

absl::Status CalendarObject::SetAttendeePartstat(absl::string_view who,
                                                 absl::string_view partstat) {
  icalcomponent* main = Main();
  if (main == nullptr) return absl::NotFoundError("no event or task in the calendar object");
  for (icalproperty* p : Properties(main, ICAL_ATTENDEE_PROPERTY)) {
    if (!IsUser(UserFrom(p), who)) continue;
    icalparameter* value =
        icalparameter_new_from_value_string(ICAL_PARTSTAT_PARAMETER, std::string(partstat).c_str());
    if (value == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("invalid PARTSTAT '", partstat, "'"));
    }
    icalproperty_remove_parameter_by_kind(p, ICAL_PARTSTAT_PARAMETER);
    icalproperty_remove_parameter_by_kind(p, ICAL_RSVP_PARAMETER);
    icalproperty_add_parameter(p, value);
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no ATTENDEE '", who, "'"));
}

absl::Status CalendarObject::AddAttendee(const CalendarUser& attendee) {
  icalcomponent* main = Main();
  if (main == nullptr) return absl::NotFoundError("no event or task in the calendar object");
  for (icalproperty* p : Properties(main, ICAL_ATTENDEE_PROPERTY)) {
    if (IsUser(UserFrom(p), attendee.address)) {
      return absl::AlreadyExistsError(absl::StrCat("ATTENDEE '", attendee.address, "' exists"));
    }
  }
  return AddUser(main, ICAL_ATTENDEE_PROPERTY, attendee);
}

absl::Status CalendarObject::SetOrganizer(const CalendarUser& organizer) {
  icalcomponent* main = Main();
  if (main == nullptr) return absl::NotFoundError("no event or task in the calendar object");
  absl::StatusOr<IcalPropertyPtr> p = UserProperty(ICAL_ORGANIZER_PROPERTY, organizer);
  if (!p.ok()) return p.status();
  RemoveProperties(main, ICAL_ORGANIZER_PROPERTY);
  icalcomponent_add_property(main, p->release());
  return absl::OkStatus();
}

absl::Status CalendarObject::AddMissingTimezones() {
  icalcomponent* root = Tree();
  if (root == nullptr) return absl::FailedPreconditionError("empty calendar object");
  std::vector<std::string> used = tzids();
  if (used.empty()) return absl::OkStatus();
  std::vector<std::string> present;
  for (icalcomponent* tz = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT);
       tz != nullptr; tz = icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT)) {
    present.push_back(TextOf(tz, ICAL_TZID_PROPERTY));
  }
  for (const CachedVtimezone* z : zones_) present.push_back(z->tzid);
  for (const std::string& tzid : used) {
    if (std::find(present.begin(), present.end(), tzid) != present.end()) continue;
    absl::StatusOr<const CachedVtimezone*> zone = FindZone(tzid);
    if (!zone.ok()) return zone.status();
    // icalcomponent_add_component would put the VTIMEZONE before every other component, which
    // is where Serialize() writes it.
    zones_.push_back(*zone);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> VTimezoneCalendar(absl::string_view tzid) {
  absl::StatusOr<const CachedVtimezone*> zone = FindZone(tzid);
  if (!zone.ok()) return zone.status();
  IcalComponentPtr root = NewVcalendar(kAppleProdId);
  return SerializeWithZones(root.get(), {*zone});
}

}  // namespace loadsim
