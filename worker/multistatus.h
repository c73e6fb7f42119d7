// Parsing of WebDAV answers: 207 multistatus bodies (PROPFIND, PROPPATCH, REPORT, DELETE on
// Radicale) and the DAV: response header.
//
// ParseMultistatus resolves XML namespaces properly (any prefixes, default namespaces, the
// CalDAV namespace also under Xandikos' misspelling) and reduces every href to the internal
// form of dav_xml.h (decoded path). Each response keeps its response-level status (404 for
// items deleted since a sync token), every property with the status of its propstat, and typed
// values of the properties the simulated clients use, taken from 2xx propstats only. Anything
// that is not a well-formed DAV:multistatus yields an InvalidArgument status naming the
// problem. Elements in no namespace at all are taken as DAV: (servers that forget xmlns).
// Standard XML end-of-line handling applies, so calendar-data may arrive with LF line ends.
// Stateless functions and plain value types; safe to use from any thread.
#ifndef LOADSIM_WORKER_MULTISTATUS_H_
#define LOADSIM_WORKER_MULTISTATUS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loadsim {

// "{namespace}local", the key of a property.
std::string ClarkName(absl::string_view ns, absl::string_view local);

// The children of DAV:resourcetype.
struct ResourceType {
  bool collection = false;            // DAV:collection
  bool principal = false;             // DAV:principal
  bool calendar = false;              // C:calendar
  bool schedule_inbox = false;        // C:schedule-inbox
  bool schedule_outbox = false;       // C:schedule-outbox
  bool addressbook = false;           // CARD:addressbook
  bool notification = false;          // CS:notification
  bool calendar_proxy_read = false;   // CS:calendar-proxy-read
  bool calendar_proxy_write = false;  // CS:calendar-proxy-write
  std::vector<std::string> others;    // Clark names of any other children
};

// Typed values of the properties the clients use, from 2xx propstats. Single hrefs are ""
// when absent; href sets empty when absent. Hrefs are normalized (NormalizeHref), so
// "mailto:" and "urn:" addresses stay as sent.
struct DavProperties {
  std::optional<ResourceType> resourcetype;
  std::optional<std::string> getetag;  // as sent, quotes included
  std::optional<std::string> getcontenttype;
  std::optional<std::string> displayname;
  std::optional<std::string> sync_token;     // the DAV:sync-token property
  std::optional<std::string> getctag;        // CS:getctag
  std::optional<std::string> pushkey;        // CS:pushkey
  std::optional<std::string> xmpp_server;    // CS:xmpp-server
  std::optional<std::string> xmpp_uri;       // CS:xmpp-uri
  std::optional<std::string> calendar_data;  // C:calendar-data, not trimmed
  std::optional<std::string> schedule_tag;   // C:schedule-tag
  // C:supported-calendar-component-set: upper-cased "name" attributes of its C:comp children.
  std::optional<std::vector<std::string>> supported_components;
  // DAV:supported-report-set: Clark names of the reports ("{DAV:}sync-collection").
  std::vector<std::string> supported_reports;

  std::string current_user_principal;                  // DAV:current-user-principal
  std::string principal_url;                           // DAV:principal-URL
  std::string owner;                                   // DAV:owner
  std::string schedule_inbox_url;                      // C:schedule-inbox-URL
  std::string schedule_outbox_url;                     // C:schedule-outbox-URL
  std::string notification_url;                        // CS:notification-URL
  std::string schedule_default_calendar_url;           // C:schedule-default-calendar-URL
  std::vector<std::string> calendar_home_set;          // C:calendar-home-set
  std::vector<std::string> principal_collection_set;   // DAV:principal-collection-set
  std::vector<std::string> calendar_user_address_set;  // C:calendar-user-address-set
  std::vector<std::string> email_address_set;          // CS:email-address-set
  std::vector<std::string> proxy_read_for;   // CS:calendar-proxy-read-for (expand-property)
  std::vector<std::string> proxy_write_for;  // CS:calendar-proxy-write-for (expand-property)

  bool SupportsReport(absl::string_view clark_name) const;
  bool SupportsComponent(absl::string_view component) const;  // "VEVENT", case-insensitive
};

// One property as returned, with the status of the propstat it was in.
struct DavProperty {
  std::string name;  // Clark name
  int status = 0;    // HTTP status of its propstat; 200 if the propstat had none; 0 if garbled
  std::string text;  // its direct character data (untrimmed)
  // DAV:href children, and the DAV:href of DAV:response children (expand-property), normalized.
  std::vector<std::string> hrefs;
};

struct MultistatusResponse {
  std::string href;      // normalized (NormalizeHref)
  std::string raw_href;  // as sent
  int status = 0;        // response-level DAV:status (e.g. 404 in sync reports); 0 if none
  std::vector<DavProperty> properties;  // every property of every propstat, in order
  DavProperties props;                  // typed values from 2xx propstats

  // The status a property came back with; 0 if it is not in the response.
  int PropertyStatus(absl::string_view ns, absl::string_view local) const;
  const DavProperty* FindProperty(absl::string_view ns, absl::string_view local) const;
  // True if the response carries no failure status of its own (the 404 of a deleted item).
  bool found() const { return status == 0 || (status >= 200 && status < 300); }
};

struct Multistatus {
  std::vector<MultistatusResponse> responses;
  std::optional<std::string> sync_token;  // top-level DAV:sync-token (sync-collection REPORT)

  // The response whose href is SameHref as `href`; null if none.
  const MultistatusResponse* Find(absl::string_view href) const;
};

// Parses a 207 body. A response with several hrefs (RFC 4918 status form) becomes one entry
// per href. Errors (InvalidArgument): malformed XML (pugixml's message and byte offset), a root
// that is not DAV:multistatus, a DAV:response without DAV:href.
absl::StatusOr<Multistatus> ParseMultistatus(absl::string_view body);

// The status code of an HTTP status line ("HTTP/1.1 404 Not Found" -> 404); 0 if garbled.
int ParseStatusLine(absl::string_view line);

// The compliance classes and features of one or more DAV: response headers, merged (DAViCal
// sends two DAV: lines). Tokens are compared exactly, so Xandikos' "calendar-auto-scheduling"
// is not RFC 6638's "calendar-auto-schedule".
struct DavFeatures {
  std::vector<std::string> tokens;  // in order of appearance, without duplicates

  bool Has(absl::string_view token) const;
  bool calendar_access() const { return Has("calendar-access"); }
  bool calendar_auto_schedule() const { return Has("calendar-auto-schedule"); }
  bool extended_mkcol() const { return Has("extended-mkcol"); }
  bool access_control() const { return Has("access-control"); }
  bool calendar_proxy() const { return Has("calendar-proxy"); }
};

// Splits each value on commas (outside <...> Coded-URLs) and trims blanks.
DavFeatures ParseDavHeader(const std::vector<std::string>& dav_header_values);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_MULTISTATUS_H_
