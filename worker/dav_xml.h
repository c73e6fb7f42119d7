// WebDAV/CalDAV names and text helpers shared by the request builders and the multistatus
// parser: the XML namespaces the Apple clients use, XML escaping, and the href rules.
//
// Hrefs have one internal form throughout loadsim: a percent-decoded absolute path
// ("/user01/my cal/a&b.ics"). NormalizeHref turns what a server sends (absolute URLs,
// percent-encoded paths, Xandikos' encoded "http%3A//host/path") into that form, once;
// EncodeHrefPath turns it back into a request-target for the wire. Functions taking an href
// from a caller (InternalHref, SameHref, the request builders) treat a path as already in
// internal form (never decoded twice, so a literal '%' in a name survives) and an absolute URL
// (a Location header, say) as wire form. A decoded "%2F" inside a path segment cannot be told
// from "/" afterwards (no CalDAV server we target produces one).
// Stateless functions; safe to call from any thread.
#ifndef LOADSIM_WORKER_DAV_XML_H_
#define LOADSIM_WORKER_DAV_XML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace loadsim {

// Namespace URIs (section 3.8 of the sim spec).
inline constexpr char kDavNs[] = "DAV:";
inline constexpr char kCaldavNs[] = "urn:ietf:params:xml:ns:caldav";
inline constexpr char kCalendarServerNs[] = "http://calendarserver.org/ns/";
inline constexpr char kAppleIcalNs[] = "http://apple.com/ns/ical/";
inline constexpr char kCarddavNs[] = "urn:ietf:params:xml:ns:carddav";
inline constexpr char kMeNs[] = "http://me.com/_namespace/";

// The canonical form of a namespace URI as servers write it: the CalDAV namespace also under
// Xandikos' misspelling "urn:ietf:params:xml:ns:carldav:" and with a trailing ':' or '/', the
// CalendarServer and Apple namespaces with or without their trailing '/'. Others unchanged.
std::string CanonicalNamespace(absl::string_view uri);
// The same without a copy: one of the constants above, or a view of `uri` trimmed of whitespace.
absl::string_view CanonicalNamespaceView(absl::string_view uri);

// Escapes & < > (and " ' for attribute values) for XML character data.
std::string XmlEscape(absl::string_view text);

// Decodes %XX sequences; malformed ones ("%4", "%zz") are kept as they are.
std::string PercentDecode(absl::string_view text);

// The internal href form (see above). Absolute http(s) URLs lose scheme and authority ("" path
// becomes "/"); paths are percent-decoded; other URIs (mailto:, urn:, relative) are returned
// trimmed of surrounding whitespace but otherwise unchanged.
std::string NormalizeHref(absl::string_view href);

// An href from a caller in internal form: an absolute http(s) URL is reduced to its decoded
// path ("" path -> "/"); anything else is returned trimmed of surrounding whitespace.
std::string InternalHref(absl::string_view href);

// True if both hrefs (internal form or absolute URLs, see InternalHref) name the same
// resource, ignoring one trailing '/' on either side ("/a/b" and "http://h/a/b/" are the same).
bool SameHref(absl::string_view a, absl::string_view b);

// Percent-encodes a decoded path for use as a request-target or in a DAV:href: every byte
// except unreserved characters, sub-delims, ':', '@' and '/' ("a b&c" -> "a%20b&c"; the '&'
// still needs XmlEscape inside XML).
std::string EncodeHrefPath(absl::string_view path);

// The collection an item href belongs to: the href up to and including its last '/'
// ("/a/b/c.ics" -> "/a/b/"; "/a/b/" stays "/a/b/"; no '/' -> "").
std::string CollectionOf(absl::string_view href);

// Ensures exactly one trailing '/'.
std::string WithTrailingSlash(absl::string_view path);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_DAV_XML_H_
