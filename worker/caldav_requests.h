// CalDAV request builders for the simulated Apple clients (OS_X_10_6, OS_X_10_7, iOS_5).
//
// SoftwareTraits holds what differs between the three client softwares (spec 3.1: user agent,
// multiget batch size, sync REPORT, time-range sync, attendee lookups, default headers).
// RequestBuilder turns "what the client wants" into a ready CaldavRequest: the HttpRequest
// (method, absolute URL, headers, XML or iCalendar body), the request label of spec 3.9 under
// which it is reported, and the statuses the original client expects (spec 3.3-3.5; callers
// may widen them for other servers). XML bodies carry the property lists of spec 3.8 and
// escape every value (hrefs are percent-encoded and XML-escaped: spec 9.4 item 15/17).
//
// Hrefs are taken in the internal form of dav_xml.h (decoded absolute paths, as the
// multistatus parser returns them); absolute URLs (wire form) are reduced to their path.
// Deliberate deviation: no "Accept-Encoding: gzip" header, because the transport does not
// decode compressed bodies. RequestBuilder is an immutable value: safe to share between
// threads once built.
#ifndef LOADSIM_WORKER_CALDAV_REQUESTS_H_
#define LOADSIM_WORKER_CALDAV_REQUESTS_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "worker/http_engine.h"

namespace loadsim {

enum class ClientSoftware { kOsX10_6, kOsX10_7, kIos5 };

struct SoftwareTraits {
  ClientSoftware software;
  const char* name;         // clients.plist short name: "OS_X_10_6"
  const char* client_type;  // default title: "OS X 10.6"
  const char* user_agent;
  int multiget_batch;          // hrefs per calendar-multiget: 200 / 50 / 50
  bool sync_report;            // sync-collection REPORT if the home supports it (10.7)
  bool time_range_sync;        // calendar-query time-range sync (iOS 5)
  bool attendee_lookups;       // psearch + free-busy before an invitation (OS X)
  bool well_known_discovery;   // PROPFIND /.well-known/caldav/ first (10.7, iOS 5)
  bool expand_proxies;         // REPORT{expand} at the end of the first poll (OS X)
  bool extra_default_headers;  // Accept, Accept-Language, Connection (10.7, iOS 5)
};

const SoftwareTraits& TraitsOf(ClientSoftware software);
// By short name ("OS_X_10_7") or Python path ("contrib.performance.loadtest.ical.OS_X_10_7");
// null if unknown.
const SoftwareTraits* FindSoftware(absl::string_view name);

// Spec 3.6: "small" (n <= 5), "medium" (<= 20), "large" (<= 75), "huge".
absl::string_view SizeClass(size_t n);

// The prefixes the attendee lookup searches for (spec 3.5); the caller picks one at random.
inline constexpr const char* kPrincipalSearchPrefixes[] = {"chris", "cyru", "dre",   "eric",
                                                           "morg",  "well", "wilfr", "witz"};

struct CaldavRequest {
  HttpRequest http;
  std::string label;          // spec 3.9, e.g. "PROPFIND{home}", "REPORT{multiget-small}"
  std::vector<int> expected;  // statuses that count as success; empty: any 2xx
};

// Preconditions of a PUT.
struct PutCondition {
  enum class Kind {
    kNone,               // as the original addEvent / unconditional update
    kCreate,             // If-None-Match: *
    kIfMatch,            // If-Match: <etag>
    kIfScheduleTagMatch  // If-Schedule-Tag-Match: <schedule tag>
  };
  Kind kind = Kind::kNone;
  std::string tag;  // the etag or schedule tag, sent as given (quotes included)

  static PutCondition None() { return {}; }
  static PutCondition Create() { return {Kind::kCreate, ""}; }
  static PutCondition IfMatch(std::string etag) { return {Kind::kIfMatch, std::move(etag)}; }
  static PutCondition IfScheduleTagMatch(std::string tag) {
    return {Kind::kIfScheduleTagMatch, std::move(tag)};
  }
};

// One property to set with PROPPATCH. `value` is text (escaped by the builder); `xml_value`
// true means it is already XML (child elements) and is inserted as is.
struct DavPropertyUpdate {
  std::string ns;
  std::string name;
  std::string value;
  bool xml_value = false;
};

struct BuilderOptions {
  // RFC 6578 asks for "Depth: 0" on sync-collection; the Apple clients sent "Depth: 1"
  // (CalendarServer and Radicale accept both).
  bool rfc6578_sync_depth = false;
};

class RequestBuilder {
 public:
  // `root` is the server's base URL; only its scheme and authority are used, since every
  // href is an absolute path ("http://127.0.0.1:8008/anything" -> "http://127.0.0.1:8008").
  RequestBuilder(const SoftwareTraits& traits, absl::string_view root, BuilderOptions options = {});

  const SoftwareTraits& traits() const { return *traits_; }
  const std::string& origin() const { return origin_; }
  // The absolute URL of an href (percent-encoded).
  std::string Url(absl::string_view href) const;

  // --- Startup (spec 3.3) ---
  // PROPFIND{well-known} on /.well-known/caldav/, Depth 0; expects 207, 301, 302. After a
  // redirect, WellKnownAt(<Location path>) repeats it (same label and body, expects 207).
  CaldavRequest WellKnown() const;
  CaldavRequest WellKnownAt(absl::string_view path) const;
  // PROPFIND{find-principal} Depth 0 on the principal path template's path.
  CaldavRequest FindPrincipal(absl::string_view path) const;
  // PROPFIND{principal} Depth 0: the principal's home set, address set, inbox, outbox...
  CaldavRequest PrincipalProperties(absl::string_view principal) const;
  // REPORT{pset} Depth 0 on the principal collection; expects 200.
  CaldavRequest PrincipalSearchPropertySet(absl::string_view principal_collection) const;
  // REPORT{expand} (no Depth) on the principal: calendar-proxy-read-for / -write-for.
  CaldavRequest ExpandProxies(absl::string_view principal) const;

  // --- Poll (spec 3.4) ---
  // PROPFIND{home} Depth 1 on the calendar home (trailing '/' ensured).
  CaldavRequest HomeProperties(absl::string_view home) const;
  // PROPFIND{calendar} Depth 1: the items of a calendar with their etags.
  CaldavRequest CalendarItems(absl::string_view calendar) const;
  // PROPFIND{notification} Depth 1 on a notification collection.
  CaldavRequest NotificationItems(absl::string_view collection) const;
  // PROPPATCH{calendar} (no Depth); expects 200, 207.
  CaldavRequest Proppatch(absl::string_view calendar,
                          const std::vector<DavPropertyUpdate>& set) const;
  // The first-poll PROPPATCHes of each calendar: OS X color, order and calendar-timezone
  // (America/New_York); iOS 5 color and order.
  absl::StatusOr<std::vector<CaldavRequest>> FirstPollProppatches(absl::string_view calendar) const;
  // REPORT{sync-init} (empty token) or REPORT{sync}: sync-collection with getetag and
  // getcontenttype; expects 207, 403.
  CaldavRequest SyncCollection(absl::string_view calendar, absl::string_view sync_token) const;
  // REPORT{vevent} Depth 1: calendar-query for VEVENTs from 00:00 UTC of (today in UTC minus
  // one month) on, open-ended.
  CaldavRequest EventQuery(absl::string_view calendar, absl::Time now) const;
  // REPORT{vtodo} Depth 1: calendar-query for all VTODOs.
  CaldavRequest TaskQuery(absl::string_view calendar) const;
  // REPORT{multiget-<size>} (no Depth) for these hrefs: getetag, calendar-data, schedule-tag.
  CaldavRequest Multiget(absl::string_view calendar, const std::vector<std::string>& hrefs) const;
  // The hrefs split into the software's batch size, one multiget per batch.
  std::vector<CaldavRequest> MultigetBatches(absl::string_view calendar,
                                             const std::vector<std::string>& hrefs) const;

  // --- Client actions (spec 3.5) ---
  // REPORT{psearch} (no Depth): principal-property-search, four starts-with clauses.
  CaldavRequest PrincipalSearch(absl::string_view principal_collection,
                                absl::string_view prefix) const;
  // POST{fb-<size of recipients>} to the outbox with Originator and Recipient headers;
  // expects 200. `ics` is the VFREEBUSY request (CalendarObject::NewFreeBusyRequest).
  CaldavRequest FreeBusy(absl::string_view outbox, absl::string_view originator,
                         const std::vector<std::string>& recipients, std::string ics) const;
  // PUT{event}: a new event or task (spec addEvent); expects 201 (updates: see Put).
  CaldavRequest PutEvent(absl::string_view href, std::string ics,
                         PutCondition condition = PutCondition::None()) const;
  // PUT{organizer-<size of attendee_count>}: the organizer's invitation.
  CaldavRequest PutOrganizer(absl::string_view href, std::string ics, size_t attendee_count,
                             PutCondition condition = PutCondition::None()) const;
  // PUT{attendee-<size of attendee_count>}: an attendee's reply; an update.
  CaldavRequest PutAttendee(absl::string_view href, std::string ics, size_t attendee_count,
                            PutCondition condition = PutCondition::None()) const;
  // Any PUT. Expected statuses: 201 for a creation (kCreate, or kNone with !update); for
  // updates 200, 201, 204, plus 412 when conditional (the original treats a failed
  // precondition as an expected answer and re-reads the event).
  CaldavRequest Put(absl::string_view href, std::string ics, std::string label,
                    const PutCondition& condition, bool update) const;
  // GET{event}; expects 200.
  CaldavRequest Get(absl::string_view href) const;
  // DELETE{event}; expects 204 and 200 (Radicale answers 200 with a multistatus body). With
  // `if_match` (an ETag), only that version of the resource is deleted.
  CaldavRequest Delete(absl::string_view href, absl::string_view if_match = "") const;
  // MKCALENDAR with a displayname and a supported-calendar-component-set of `component`
  // ("VEVENT", "VTODO"); Content-Type application/xml (Xandikos refuses others); expects 201.
  CaldavRequest MakeCalendar(absl::string_view href, absl::string_view component,
                             absl::string_view displayname) const;
  // OPTIONS (label "OPTIONS"), for the DAV: header; expects 200, 204.
  CaldavRequest Options(absl::string_view href) const;

 private:
  CaldavRequest Base(absl::string_view method, absl::string_view href, std::string label,
                     std::vector<int> expected) const;
  CaldavRequest Xml(absl::string_view method, absl::string_view href, std::string label,
                    absl::string_view depth, std::string body, std::vector<int> expected) const;

  const SoftwareTraits* traits_;
  std::string origin_;
  BuilderOptions options_;
  std::string user_agent_header_;  // "User-Agent: ...", built once
};

}  // namespace loadsim

#endif  // LOADSIM_WORKER_CALDAV_REQUESTS_H_
