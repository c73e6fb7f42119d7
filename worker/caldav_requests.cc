#include "worker/caldav_requests.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "worker/dav_xml.h"
#include "worker/ical.h"

namespace loadsim {
namespace {

constexpr SoftwareTraits kSoftwares[] = {
    {ClientSoftware::kOsX10_6, "OS_X_10_6", "OS X 10.6",
     "DAVKit/4.0.3 (732); CalendarStore/4.0.3 (991); iCal/4.0.3 (1388); Mac OS X/10.6.4 (10F569)",
     /*multiget_batch=*/200, /*sync_report=*/false, /*time_range_sync=*/false,
     /*attendee_lookups=*/true, /*well_known_discovery=*/false, /*expand_proxies=*/true,
     /*extra_default_headers=*/false},
    {ClientSoftware::kOsX10_7, "OS_X_10_7", "OS X 10.7",
     "CalendarStore/5.0.2 (1166); iCal/5.0.2 (1571); Mac OS X/10.7.3 (11D50)",
     /*multiget_batch=*/50, /*sync_report=*/true, /*time_range_sync=*/false,
     /*attendee_lookups=*/true, /*well_known_discovery=*/true, /*expand_proxies=*/true,
     /*extra_default_headers=*/true},
    {ClientSoftware::kIos5, "iOS_5", "iOS 5", "iOS/5.1 (9B179) dataaccessd/1.0",
     /*multiget_batch=*/50, /*sync_report=*/false, /*time_range_sync=*/true,
     /*attendee_lookups=*/false, /*well_known_discovery=*/true, /*expand_proxies=*/false,
     /*extra_default_headers=*/true},
};

// --- XML bodies ---

enum class Ns { kDav, kCaldav, kCs, kIcal, kCard, kMe };
constexpr int kNsCount = 6;

struct NsInfo {
  const char* prefix;
  const char* uri;
};
constexpr NsInfo kNs[kNsCount] = {
    {"D", kDavNs},          {"C", kCaldavNs},     {"CS", kCalendarServerNs},
    {"ICAL", kAppleIcalNs}, {"CARD", kCarddavNs}, {"ME", kMeNs}};

const NsInfo& Info(Ns ns) { return kNs[static_cast<int>(ns)]; }

struct Prop {
  Ns ns;
  const char* name;
};

using PropList = std::vector<Prop>;

// Collects the namespaces a body uses and writes their declarations on the root element.
class XmlBody {
 public:
  void Use(Ns ns) { used_[static_cast<int>(ns)] = true; }
  void Use(const PropList& props) {
    for (const Prop& p : props) Use(p.ns);
  }
  std::string Decls() const {
    std::string out;
    for (int i = 0; i < kNsCount; ++i) {
      if (used_[i]) absl::StrAppend(&out, " xmlns:", kNs[i].prefix, "=\"", kNs[i].uri, "\"");
    }
    return out;
  }
  // <?xml ...?><P:root decls attrs>inner</P:root>
  std::string Document(Ns ns, absl::string_view root, absl::string_view attrs,
                       absl::string_view inner) {
    Use(ns);
    std::string tag = absl::StrCat(Info(ns).prefix, ":", root);
    return absl::StrCat("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<", tag, Decls(), attrs, ">",
                        inner, "</", tag, ">\n");
  }

 private:
  bool used_[kNsCount] = {true, false, false, false, false, false};  // DAV: always
};

std::string Empty(const Prop& p) { return absl::StrCat("<", Info(p.ns).prefix, ":", p.name, "/>"); }

std::string PropElement(const PropList& props) {
  std::string out = "<D:prop>";
  for (const Prop& p : props) out += Empty(p);
  return out + "</D:prop>";
}

std::string HrefElement(absl::string_view href) {
  return absl::StrCat("<D:href>", XmlEscape(EncodeHrefPath(InternalHref(href))), "</D:href>");
}

std::string PropfindBody(const PropList& props) {
  XmlBody b;
  b.Use(props);
  return b.Document(Ns::kDav, "propfind", "", PropElement(props));
}

// The PROPFIND body of a property list that lives for the whole process (the function-static
// lists below), built once: polls send the same 2.6 KB body thousands of times a second.
// Thread-safe: the cache is guarded, and the bodies are immutable once built.
const std::string& CachedPropfindBody(const PropList& props) {
  static std::mutex* mu = new std::mutex;
  static auto* bodies = new absl::flat_hash_map<const PropList*, std::unique_ptr<std::string>>;
  std::lock_guard<std::mutex> lock(*mu);
  std::unique_ptr<std::string>& body = (*bodies)[&props];
  if (body == nullptr) body = std::make_unique<std::string>(PropfindBody(props));
  return *body;
}

// Spec 3.8 property lists.
const PropList& InitialPrincipalProps() {
  static const PropList* p = new PropList{{Ns::kDav, "current-user-principal"},
                                          {Ns::kDav, "principal-URL"},
                                          {Ns::kDav, "resourcetype"}};
  return *p;
}

const PropList& PrincipalProps(ClientSoftware s) {
  static const PropList* os_x_10_6 = new PropList{{Ns::kDav, "principal-collection-set"},
                                                  {Ns::kCaldav, "calendar-home-set"},
                                                  {Ns::kCaldav, "calendar-user-address-set"},
                                                  {Ns::kCaldav, "schedule-inbox-URL"},
                                                  {Ns::kCaldav, "schedule-outbox-URL"},
                                                  {Ns::kCs, "dropbox-home-URL"},
                                                  {Ns::kCs, "xmpp-uri"},
                                                  {Ns::kCs, "notification-URL"},
                                                  {Ns::kDav, "displayname"},
                                                  {Ns::kDav, "principal-URL"},
                                                  {Ns::kDav, "supported-report-set"}};
  static const PropList* later = new PropList{{Ns::kCs, "allowed-calendar-component-set"},
                                              {Ns::kCaldav, "calendar-home-set"},
                                              {Ns::kCaldav, "calendar-user-address-set"},
                                              {Ns::kDav, "current-user-principal"},
                                              {Ns::kDav, "displayname"},
                                              {Ns::kCs, "dropbox-home-URL"},
                                              {Ns::kCs, "email-address-set"},
                                              {Ns::kCs, "notification-URL"},
                                              {Ns::kDav, "principal-collection-set"},
                                              {Ns::kDav, "principal-URL"},
                                              {Ns::kDav, "resource-id"},
                                              {Ns::kCaldav, "schedule-inbox-URL"},
                                              {Ns::kCaldav, "schedule-outbox-URL"},
                                              {Ns::kDav, "supported-report-set"}};
  return s == ClientSoftware::kOsX10_6 ? *os_x_10_6 : *later;
}

const PropList& HomeProps(ClientSoftware s) {
  static const PropList* os_x_10_6 = new PropList{{Ns::kCs, "xmpp-server"},
                                                  {Ns::kCs, "xmpp-uri"},
                                                  {Ns::kCs, "getctag"},
                                                  {Ns::kDav, "displayname"},
                                                  {Ns::kCaldav, "calendar-description"},
                                                  {Ns::kIcal, "calendar-color"},
                                                  {Ns::kIcal, "calendar-order"},
                                                  {Ns::kCaldav, "supported-calendar-component-set"},
                                                  {Ns::kDav, "resourcetype"},
                                                  {Ns::kDav, "owner"},
                                                  {Ns::kCaldav, "calendar-free-busy-set"},
                                                  {Ns::kCaldav, "schedule-calendar-transp"},
                                                  {Ns::kCaldav, "schedule-default-calendar-URL"},
                                                  {Ns::kDav, "quota-available-bytes"},
                                                  {Ns::kDav, "quota-used-bytes"},
                                                  {Ns::kCaldav, "calendar-timezone"},
                                                  {Ns::kDav, "current-user-privilege-set"},
                                                  {Ns::kCs, "source"},
                                                  {Ns::kCs, "subscribed-strip-alarms"},
                                                  {Ns::kCs, "subscribed-strip-attachments"},
                                                  {Ns::kCs, "subscribed-strip-todos"},
                                                  {Ns::kIcal, "refreshrate"},
                                                  {Ns::kCs, "push-transports"},
                                                  {Ns::kCs, "pushkey"},
                                                  {Ns::kCs, "publish-url"}};
  static const PropList* later = new PropList{{Ns::kDav, "add-member"},
                                              {Ns::kCs, "allowed-sharing-modes"},
                                              {Ns::kMe, "bulk-requests"},
                                              {Ns::kIcal, "calendar-color"},
                                              {Ns::kCaldav, "calendar-description"},
                                              {Ns::kCaldav, "calendar-free-busy-set"},
                                              {Ns::kIcal, "calendar-order"},
                                              {Ns::kCaldav, "calendar-timezone"},
                                              {Ns::kDav, "current-user-privilege-set"},
                                              {Ns::kDav, "displayname"},
                                              {Ns::kCs, "getctag"},
                                              {Ns::kCard, "max-image-size"},
                                              {Ns::kCard, "max-resource-size"},
                                              {Ns::kCs, "me-card"},
                                              {Ns::kDav, "owner"},
                                              {Ns::kCs, "publish-url"},
                                              {Ns::kCs, "push-transports"},
                                              {Ns::kCs, "pushkey"},
                                              {Ns::kDav, "quota-available-bytes"},
                                              {Ns::kDav, "quota-used-bytes"},
                                              {Ns::kIcal, "refreshrate"},
                                              {Ns::kDav, "resource-id"},
                                              {Ns::kDav, "resourcetype"},
                                              {Ns::kCaldav, "schedule-calendar-transp"},
                                              {Ns::kCaldav, "schedule-default-calendar-URL"},
                                              {Ns::kCs, "source"},
                                              {Ns::kCs, "subscribed-strip-alarms"},
                                              {Ns::kCs, "subscribed-strip-attachments"},
                                              {Ns::kCs, "subscribed-strip-todos"},
                                              {Ns::kCaldav, "supported-calendar-component-set"},
                                              {Ns::kDav, "supported-report-set"},
                                              {Ns::kDav, "sync-token"},
                                              {Ns::kCs, "xmpp-server"},
                                              {Ns::kCs, "xmpp-uri"}};
  return s == ClientSoftware::kOsX10_6 ? *os_x_10_6 : *later;
}

const PropList& CalendarItemProps(ClientSoftware s) {
  static const PropList* os_x_10_6 = new PropList{
      {Ns::kDav, "getetag"}, {Ns::kDav, "resourcetype"}, {Ns::kCs, "notificationtype"}};
  static const PropList* later = new PropList{{Ns::kDav, "getcontenttype"}, {Ns::kDav, "getetag"}};
  return s == ClientSoftware::kOsX10_6 ? *os_x_10_6 : *later;
}

const PropList& EtagProps() {
  static const PropList* p = new PropList{{Ns::kDav, "getetag"}, {Ns::kDav, "getcontenttype"}};
  return *p;
}

// <D:property name=".." namespace=".."> as used by expand-property.
std::string ExpandProperty(const Prop& outer, const PropList& inner) {
  std::string out =
      absl::StrCat("<D:property name=\"", outer.name, "\" namespace=\"", Info(outer.ns).uri, "\">");
  for (const Prop& p : inner) {
    absl::StrAppend(&out, "<D:property name=\"", p.name, "\" namespace=\"", Info(p.ns).uri, "\"/>");
  }
  return out + "</D:property>";
}

std::string CalendarQueryBody(absl::string_view component, absl::string_view time_range) {
  XmlBody b;
  b.Use(EtagProps());
  std::string filter =
      absl::StrCat("<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"", component,
                   "\">", time_range, "</C:comp-filter></C:comp-filter></C:filter>");
  return b.Document(Ns::kCaldav, "calendar-query", "",
                    absl::StrCat(PropElement(EtagProps()), filter));
}

std::string PutLabel(absl::string_view kind, size_t count) {
  return absl::StrCat("PUT{", kind, "-", SizeClass(count), "}");
}

// "http://host:port/path" -> "http://host:port".
std::string OriginOf(absl::string_view url) {
  absl::string_view u = absl::StripAsciiWhitespace(url);
  size_t scheme = u.find("://");
  size_t start = scheme == absl::string_view::npos ? 0 : scheme + 3;
  size_t slash = u.find('/', start);
  return std::string(slash == absl::string_view::npos ? u : u.substr(0, slash));
}

}  // namespace

const SoftwareTraits& TraitsOf(ClientSoftware software) {
  for (const SoftwareTraits& t : kSoftwares) {
    if (t.software == software) return t;
  }
  return kSoftwares[0];
}

const SoftwareTraits* FindSoftware(absl::string_view name) {
  size_t dot = name.rfind('.');
  absl::string_view short_name = dot == absl::string_view::npos ? name : name.substr(dot + 1);
  for (const SoftwareTraits& t : kSoftwares) {
    if (short_name == t.name) return &t;
  }
  return nullptr;
}

absl::string_view SizeClass(size_t n) {
  if (n <= 5) return "small";
  if (n <= 20) return "medium";
  if (n <= 75) return "large";
  return "huge";
}

RequestBuilder::RequestBuilder(const SoftwareTraits& traits, absl::string_view root,
                               BuilderOptions options)
    : traits_(&traits),
      origin_(OriginOf(root)),
      options_(options),
      user_agent_header_(absl::StrCat("User-Agent: ", traits.user_agent)) {}

std::string RequestBuilder::Url(absl::string_view href) const {
  std::string path = InternalHref(href);
  if (!absl::StartsWith(path, "/")) path.insert(0, "/");
  return absl::StrCat(origin_, EncodeHrefPath(path));
}

CaldavRequest RequestBuilder::Base(absl::string_view method, absl::string_view href,
                                   std::string label, std::vector<int> expected) const {
  CaldavRequest r;
  r.http.method = std::string(method);
  r.http.url = Url(href);
  r.http.headers.reserve(8);
  r.http.headers.push_back(user_agent_header_);
  if (traits_->extra_default_headers) {
    r.http.headers.push_back("Accept: */*");
    r.http.headers.push_back("Accept-Language: en-us");
    r.http.headers.push_back("Connection: keep-alive");
  }
  r.label = std::move(label);
  r.expected = std::move(expected);
  return r;
}

CaldavRequest RequestBuilder::Xml(absl::string_view method, absl::string_view href,
                                  std::string label, absl::string_view depth, std::string body,
                                  std::vector<int> expected) const {
  CaldavRequest r = Base(method, href, std::move(label), std::move(expected));
  if (!depth.empty()) r.http.headers.push_back(absl::StrCat("Depth: ", depth));
  r.http.headers.push_back("Content-Type: text/xml");
  r.http.body = std::move(body);
  return r;
}

CaldavRequest RequestBuilder::WellKnown() const { return WellKnownAt("/.well-known/caldav/"); }

CaldavRequest RequestBuilder::WellKnownAt(absl::string_view path) const {
  bool first = SameHref(path, "/.well-known/caldav/");
  std::vector<int> expected = first ? std::vector<int>{207, 301, 302} : std::vector<int>{207};
  return Xml("PROPFIND", path, "PROPFIND{well-known}", "0",
             CachedPropfindBody(InitialPrincipalProps()), std::move(expected));
}

CaldavRequest RequestBuilder::FindPrincipal(absl::string_view path) const {
  return Xml("PROPFIND", path, "PROPFIND{find-principal}", "0",
             CachedPropfindBody(InitialPrincipalProps()), {207});
}

CaldavRequest RequestBuilder::PrincipalProperties(absl::string_view principal) const {
  return Xml("PROPFIND", principal, "PROPFIND{principal}", "0",
             CachedPropfindBody(PrincipalProps(traits_->software)), {207});
}

CaldavRequest RequestBuilder::PrincipalSearchPropertySet(
    absl::string_view principal_collection) const {
  XmlBody b;
  return Xml("REPORT", principal_collection, "REPORT{pset}", "0",
             b.Document(Ns::kDav, "principal-search-property-set", "", ""), {200});
}

CaldavRequest RequestBuilder::ExpandProxies(absl::string_view principal) const {
  const Prop write_for{Ns::kCs, "calendar-proxy-write-for"};
  const Prop read_for{Ns::kCs, "calendar-proxy-read-for"};
  std::string inner;
  XmlBody b;
  if (traits_->software == ClientSoftware::kOsX10_6) {
    PropList props = {{Ns::kDav, "displayname"},
                      {Ns::kDav, "principal-URL"},
                      {Ns::kCaldav, "calendar-user-address-set"}};
    inner = ExpandProperty(write_for, props) + ExpandProperty(read_for, props);
  } else {
    PropList props = {{Ns::kCaldav, "calendar-user-address-set"},
                      {Ns::kCs, "email-address-set"},
                      {Ns::kDav, "displayname"}};
    inner = ExpandProperty(read_for, props) + ExpandProperty(write_for, props);
  }
  return Xml("REPORT", principal, "REPORT{expand}", "",
             b.Document(Ns::kDav, "expand-property", "", inner), {207});
}

CaldavRequest RequestBuilder::HomeProperties(absl::string_view home) const {
  return Xml("PROPFIND", WithTrailingSlash(InternalHref(home)), "PROPFIND{home}", "1",
             CachedPropfindBody(HomeProps(traits_->software)), {207});
}

CaldavRequest RequestBuilder::CalendarItems(absl::string_view calendar) const {
  return Xml("PROPFIND", calendar, "PROPFIND{calendar}", "1",
             CachedPropfindBody(CalendarItemProps(traits_->software)), {207});
}

CaldavRequest RequestBuilder::NotificationItems(absl::string_view collection) const {
  static const PropList* props = new PropList{
      {Ns::kDav, "getetag"}, {Ns::kDav, "resourcetype"}, {Ns::kCs, "notificationtype"}};
  return Xml("PROPFIND", collection, "PROPFIND{notification}", "1", CachedPropfindBody(*props),
             {207});
}

CaldavRequest RequestBuilder::Proppatch(absl::string_view calendar,
                                        const std::vector<DavPropertyUpdate>& set) const {
  // Properties may be in any namespace: each carries its own declaration.
  std::string props;
  for (const DavPropertyUpdate& p : set) {
    std::string value = p.xml_value ? p.value : XmlEscape(p.value);
    absl::StrAppend(&props, "<X:", p.name, " xmlns:X=\"", XmlEscape(p.ns), "\">", value,
                    "</X:", p.name, ">");
  }
  XmlBody b;
  return Xml("PROPPATCH", calendar, "PROPPATCH{calendar}", "",
             b.Document(Ns::kDav, "propertyupdate", "",
                        absl::StrCat("<D:set><D:prop>", props, "</D:prop></D:set>")),
             {200, 207});
}

absl::StatusOr<std::vector<CaldavRequest>> RequestBuilder::FirstPollProppatches(
    absl::string_view calendar) const {
  std::vector<CaldavRequest> out;
  bool ios = traits_->software == ClientSoftware::kIos5;
  out.push_back(
      Proppatch(calendar, {{kAppleIcalNs, "calendar-color", ios ? "#711A76" : "#882F00FF"}}));
  out.push_back(Proppatch(calendar, {{kAppleIcalNs, "calendar-order", ios ? "0" : "1"}}));
  if (!ios) {
    absl::StatusOr<std::string> tz = VTimezoneCalendar("America/New_York");
    if (!tz.ok()) return tz.status();
    out.push_back(Proppatch(calendar, {{kCaldavNs, "calendar-timezone", *tz}}));
  }
  return out;
}

CaldavRequest RequestBuilder::SyncCollection(absl::string_view calendar,
                                             absl::string_view sync_token) const {
  XmlBody b;
  std::string inner =
      absl::StrCat("<D:sync-token>", XmlEscape(sync_token),
                   "</D:sync-token><D:sync-level>1</D:sync-level>", PropElement(EtagProps()));
  return Xml("REPORT", calendar, sync_token.empty() ? "REPORT{sync-init}" : "REPORT{sync}",
             options_.rfc6578_sync_depth ? "0" : "1",
             b.Document(Ns::kDav, "sync-collection", "", inner), {207, 403});
}

CaldavRequest RequestBuilder::EventQuery(absl::string_view calendar, absl::Time now) const {
  absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  // One calendar month back; a day that month lacks rolls over (Mar 31 -> Mar 3).
  absl::CivilDay start(today.year(), today.month() - 1, today.day());
  std::string range = absl::StrFormat("<C:time-range start=\"%04d%02d%02dT000000Z\"/>",
                                      start.year(), start.month(), start.day());
  return Xml("REPORT", calendar, "REPORT{vevent}", "1", CalendarQueryBody("VEVENT", range), {207});
}

CaldavRequest RequestBuilder::TaskQuery(absl::string_view calendar) const {
  return Xml("REPORT", calendar, "REPORT{vtodo}", "1", CalendarQueryBody("VTODO", ""), {207});
}

CaldavRequest RequestBuilder::Multiget(absl::string_view calendar,
                                       const std::vector<std::string>& hrefs) const {
  static const PropList* props = new PropList{
      {Ns::kDav, "getetag"}, {Ns::kCaldav, "calendar-data"}, {Ns::kCaldav, "schedule-tag"}};
  XmlBody b;
  b.Use(*props);
  std::string inner = PropElement(*props);
  for (const std::string& h : hrefs) inner += HrefElement(h);
  return Xml("REPORT", calendar, absl::StrCat("REPORT{multiget-", SizeClass(hrefs.size()), "}"), "",
             b.Document(Ns::kCaldav, "calendar-multiget", "", inner), {207});
}

std::vector<CaldavRequest> RequestBuilder::MultigetBatches(
    absl::string_view calendar, const std::vector<std::string>& hrefs) const {
  std::vector<CaldavRequest> out;
  size_t batch = static_cast<size_t>(std::max(1, traits_->multiget_batch));
  for (size_t i = 0; i < hrefs.size(); i += batch) {
    std::vector<std::string> part(hrefs.begin() + i,
                                  hrefs.begin() + std::min(hrefs.size(), i + batch));
    out.push_back(Multiget(calendar, part));
  }
  return out;
}

namespace {

// The principal-property-search body with `prefix` (already XML-escaped) in its four
// DAV:match elements.
std::string PrincipalSearchBody(absl::string_view escaped_prefix) {
  const PropList searched = {{Ns::kDav, "displayname"},
                             {Ns::kCs, "email-address-set"},
                             {Ns::kCs, "first-name"},
                             {Ns::kCs, "last-name"}};
  const PropList wanted = {{Ns::kCs, "email-address-set"},
                           {Ns::kCaldav, "calendar-user-address-set"},
                           {Ns::kCaldav, "calendar-user-type"},
                           {Ns::kDav, "displayname"},
                           {Ns::kCs, "last-name"},
                           {Ns::kCs, "first-name"},
                           {Ns::kCs, "record-type"},
                           {Ns::kDav, "principal-URL"}};
  XmlBody b;
  b.Use(searched);
  b.Use(wanted);
  std::string inner;
  for (const Prop& p : searched) {
    absl::StrAppend(&inner, "<D:property-search>", PropElement({p}),
                    "<D:match match-type=\"starts-with\">", escaped_prefix,
                    "</D:match></D:property-search>");
  }
  inner += PropElement(wanted);
  return b.Document(Ns::kDav, "principal-property-search", " test=\"anyof\"", inner);
}

}  // namespace

CaldavRequest RequestBuilder::PrincipalSearch(absl::string_view principal_collection,
                                              absl::string_view prefix) const {
  // The body's fixed text, split where the prefix goes, is built once (attendee lookups send
  // this report about a thousand times a second in a large run). '\x01' is not valid in XML
  // text, so it cannot occur in the fixed parts.
  static const std::vector<std::string>* pieces =
      new std::vector<std::string>(absl::StrSplit(PrincipalSearchBody("\x01"), '\x01'));
  return Xml("REPORT", principal_collection, "REPORT{psearch}", "",
             absl::StrJoin(*pieces, XmlEscape(prefix)), {207});
}

CaldavRequest RequestBuilder::FreeBusy(absl::string_view outbox, absl::string_view originator,
                                       const std::vector<std::string>& recipients,
                                       std::string ics) const {
  CaldavRequest r =
      Base("POST", outbox, absl::StrCat("POST{fb-", SizeClass(recipients.size()), "}"), {200});
  r.http.headers.push_back("Content-Type: text/calendar");
  r.http.headers.push_back(absl::StrCat("Originator: ", originator));
  r.http.headers.push_back(absl::StrCat("Recipient: ", absl::StrJoin(recipients, ", ")));
  r.http.body = std::move(ics);
  return r;
}

CaldavRequest RequestBuilder::Put(absl::string_view href, std::string ics, std::string label,
                                  const PutCondition& condition, bool update) const {
  using Kind = PutCondition::Kind;
  std::vector<int> expected;
  if (condition.kind == Kind::kCreate || (condition.kind == Kind::kNone && !update)) {
    expected = {201};
  } else if (condition.kind == Kind::kNone) {
    expected = {200, 201, 204};
  } else {
    expected = {200, 201, 204, 412};
  }
  CaldavRequest r = Base("PUT", href, std::move(label), std::move(expected));
  r.http.headers.push_back("Content-Type: text/calendar");
  switch (condition.kind) {
    case Kind::kCreate:
      r.http.headers.push_back("If-None-Match: *");
      break;
    case Kind::kIfMatch:
      r.http.headers.push_back(absl::StrCat("If-Match: ", condition.tag));
      break;
    case Kind::kIfScheduleTagMatch:
      r.http.headers.push_back(absl::StrCat("If-Schedule-Tag-Match: ", condition.tag));
      break;
    case Kind::kNone:
      break;
  }
  r.http.body = std::move(ics);
  return r;
}

CaldavRequest RequestBuilder::PutEvent(absl::string_view href, std::string ics,
                                       PutCondition condition) const {
  bool update = condition.kind == PutCondition::Kind::kIfMatch ||
                condition.kind == PutCondition::Kind::kIfScheduleTagMatch;
  return Put(href, std::move(ics), "PUT{event}", condition, update);
}

CaldavRequest RequestBuilder::PutOrganizer(absl::string_view href, std::string ics,
                                           size_t attendee_count, PutCondition condition) const {
  bool update = condition.kind == PutCondition::Kind::kIfMatch ||
                condition.kind == PutCondition::Kind::kIfScheduleTagMatch;
  return Put(href, std::move(ics), PutLabel("organizer", attendee_count), condition, update);
}

CaldavRequest RequestBuilder::PutAttendee(absl::string_view href, std::string ics,
                                          size_t attendee_count, PutCondition condition) const {
  return Put(href, std::move(ics), PutLabel("attendee", attendee_count), condition,
             /*update=*/true);
}

CaldavRequest RequestBuilder::Get(absl::string_view href) const {
  return Base("GET", href, "GET{event}", {200});
}

CaldavRequest RequestBuilder::Delete(absl::string_view href, absl::string_view if_match) const {
  CaldavRequest r = Base("DELETE", href, "DELETE{event}", {204, 200});
  if (!if_match.empty()) r.http.headers.push_back(absl::StrCat("If-Match: ", if_match));
  return r;
}

CaldavRequest RequestBuilder::MakeCalendar(absl::string_view href, absl::string_view component,
                                           absl::string_view displayname) const {
  XmlBody b;
  b.Use(Ns::kCaldav);
  std::string props;
  if (!displayname.empty()) {
    props = absl::StrCat("<D:displayname>", XmlEscape(displayname), "</D:displayname>");
  }
  absl::StrAppend(&props, "<C:supported-calendar-component-set><C:comp name=\"",
                  XmlEscape(absl::AsciiStrToUpper(component)),
                  "\"/></C:supported-calendar-component-set>");
  CaldavRequest r = Base("MKCALENDAR", WithTrailingSlash(InternalHref(href)), "MKCALENDAR", {201});
  r.http.headers.push_back("Content-Type: application/xml");
  r.http.body = b.Document(Ns::kCaldav, "mkcalendar", "",
                           absl::StrCat("<D:set><D:prop>", props, "</D:prop></D:set>"));
  return r;
}

CaldavRequest RequestBuilder::Options(absl::string_view href) const {
  return Base("OPTIONS", href, "OPTIONS", {200, 204});
}

}  // namespace loadsim
