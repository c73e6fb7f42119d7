#include "worker/multistatus.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pugixml.hpp"
#include "worker/dav_xml.h"

namespace loadsim {
namespace {

// An element's namespace (canonical, "" if undeclared) and local name. Both view either the
// parsed document or the namespace constants of dav_xml.h.
struct QName {
  absl::string_view ns;
  absl::string_view local;

  bool Is(absl::string_view want_ns, absl::string_view want_local) const {
    return ns == want_ns && local == want_local;
  }
  // DAV: elements are also accepted without any namespace (servers that forget xmlns).
  bool IsDav(absl::string_view want_local) const {
    return (ns == kDavNs || ns.empty()) && local == want_local;
  }
};

// An element name split at its first ':' ("D:href" -> prefixed, "D", "href").
struct SplitName {
  bool prefixed = false;
  absl::string_view prefix;
  absl::string_view local;

  explicit SplitName(pugi::xml_node node) {
    const char* name = node.name();
    const char* p = name;
    while (*p != '\0' && *p != ':') ++p;
    if (*p == ':') {
      prefixed = true;
      prefix = absl::string_view(name, p - name);
      local = absl::string_view(p + 1);
    } else {
      local = absl::string_view(name, p - name);
    }
  }
};

// Calls fn(child) for each element child of `node`, in order.
template <typename Fn>
void ForEachChildElement(pugi::xml_node node, Fn fn) {
  for (pugi::xml_node c = node.first_child();; c = c.next_sibling()) {
    pugi::xml_node_type type = c.type();  // node_null past the last child
    if (type == pugi::node_null) break;
    if (type == pugi::node_element) fn(c);
  }
}

// The namespace declarations in scope while descending the document: those of the elements on
// the path from the root, innermost last. Entering an element pushes its xmlns attributes
// (most elements have none), leaving pops them, so resolving a name never walks up the tree.
class NsScope {
 public:
  // Pushes the declarations of `node`; returns how many to Leave().
  size_t Enter(pugi::xml_node node) {
    if (!node.first_attribute()) return 0;
    size_t pushed = 0;
    // Pushed last to first, so that of two declarations of one prefix on the same element the
    // first is found, as pugixml's attribute(name) would.
    for (pugi::xml_attribute a = node.last_attribute(); a; a = a.previous_attribute()) {
      const char* name = a.name();
      if (name[0] != 'x' || name[1] != 'm' || name[2] != 'l' || name[3] != 'n' || name[4] != 's' ||
          (name[5] != '\0' && name[5] != ':')) {
        continue;
      }
      Decl d;
      d.prefixed = name[5] == ':';
      d.prefix = d.prefixed ? absl::string_view(name + 6) : absl::string_view();
      d.ns = CanonicalNamespaceView(a.value());
      decls_.push_back(d);
      ++pushed;
    }
    return pushed;
  }

  void Leave(size_t pushed) {
    if (pushed > 0) decls_.resize(decls_.size() - pushed);
  }

  // The name of an entered element. "p:x" is looked up as xmlns:p (":x" as "xmlns:"), "x" as
  // the default namespace xmlns; "" if undeclared or declared empty.
  QName Resolve(pugi::xml_node node) const {
    SplitName name(node);
    QName q;
    q.local = name.local;
    for (auto d = decls_.rbegin(); d != decls_.rend(); ++d) {
      if (d->prefixed == name.prefixed && d->prefix == name.prefix) {
        q.ns = d->ns;
        break;
      }
    }
    return q;
  }

 private:
  struct Decl {
    bool prefixed;             // xmlns:prefix rather than xmlns
    absl::string_view prefix;  // "" for xmlns (and for "xmlns:")
    absl::string_view ns;      // canonical
  };
  absl::InlinedVector<Decl, 8> decls_;
};

// Character data directly inside `node` (PCDATA and CDATA children, concatenated): a view of
// the document when there is at most one such child (the usual case), else of *buf.
absl::string_view DirectText(pugi::xml_node node, std::string* buf) {
  absl::string_view first;
  bool several = false;
  for (pugi::xml_node c = node.first_child();; c = c.next_sibling()) {
    pugi::xml_node_type type = c.type();  // node_null past the last child
    if (type == pugi::node_null) break;
    if (type != pugi::node_pcdata && type != pugi::node_cdata) continue;
    if (several) {
      buf->append(c.value());
    } else if (first.data() == nullptr) {
      first = c.value();
    } else {
      several = true;
      buf->assign(first.data(), first.size());
      buf->append(c.value());
    }
  }
  if (several) return *buf;
  return first;
}

std::string DirectTextCopy(pugi::xml_node node) {
  std::string buf;
  absl::string_view text = DirectText(node, &buf);
  if (text.data() == buf.data()) return buf;
  return std::string(text);
}

std::string Trimmed(pugi::xml_node node) {
  std::string buf;
  return std::string(absl::StripAsciiWhitespace(DirectText(node, &buf)));
}

std::string NormalizedHref(pugi::xml_node node) {
  std::string buf;
  return NormalizeHref(DirectText(node, &buf));
}

int StatusOf(pugi::xml_node node) {
  std::string buf;
  return ParseStatusLine(DirectText(node, &buf));
}

// Calls fn(child, name) for each element child of `node`, with the child's namespace
// declarations in scope (for fn's own descent too).
template <typename Fn>
void ForEachElement(NsScope& scope, pugi::xml_node node, Fn fn) {
  ForEachChildElement(node, [&scope, &fn](pugi::xml_node c) {
    size_t pushed = scope.Enter(c);
    fn(c, scope.Resolve(c));
    scope.Leave(pushed);
  });
}

// The number of element children of `node` named `local` in any namespace (an upper bound of
// those named so in the right one, to size vectors once).
size_t CountNamed(pugi::xml_node node, absl::string_view local) {
  size_t n = 0;
  ForEachChildElement(node, [&n, local](pugi::xml_node c) {
    if (SplitName(c).local == local) ++n;
  });
  return n;
}

// An upper bound of the properties of a DAV:response: the element children of the prop
// children of its propstat children, names compared without namespaces.
size_t CountProperties(pugi::xml_node response) {
  size_t n = 0;
  ForEachChildElement(response, [&n](pugi::xml_node propstat) {
    if (SplitName(propstat).local != "propstat") return;
    ForEachChildElement(propstat, [&n](pugi::xml_node prop) {
      if (SplitName(prop).local == "prop") ForEachChildElement(prop, [&n](pugi::xml_node) { ++n; });
    });
  });
  return n;
}

// The normalized text of the first DAV:href child, "" if none.
std::string FirstHref(const DavProperty& p) { return p.hrefs.empty() ? "" : p.hrefs.front(); }

ResourceType ParseResourceType(NsScope& scope, pugi::xml_node prop) {
  ResourceType t;
  ForEachElement(scope, prop, [&t](pugi::xml_node, const QName& q) {
    if (q.IsDav("collection")) {
      t.collection = true;
    } else if (q.IsDav("principal")) {
      t.principal = true;
    } else if (q.Is(kCaldavNs, "calendar")) {
      t.calendar = true;
    } else if (q.Is(kCaldavNs, "schedule-inbox")) {
      t.schedule_inbox = true;
    } else if (q.Is(kCaldavNs, "schedule-outbox")) {
      t.schedule_outbox = true;
    } else if (q.Is(kCarddavNs, "addressbook")) {
      t.addressbook = true;
    } else if (q.Is(kCalendarServerNs, "notification")) {
      t.notification = true;
    } else if (q.Is(kCalendarServerNs, "calendar-proxy-read")) {
      t.calendar_proxy_read = true;
    } else if (q.Is(kCalendarServerNs, "calendar-proxy-write")) {
      t.calendar_proxy_write = true;
    } else {
      t.others.push_back(ClarkName(q.ns, q.local));
    }
  });
  return t;
}

// Fills the typed field for a property found with a 2xx status.
void FillTyped(NsScope& scope, const QName& q, pugi::xml_node node, const DavProperty& p,
               DavProperties* out) {
  if (q.ns == kDavNs || q.ns.empty()) {
    if (q.local == "resourcetype") {
      out->resourcetype = ParseResourceType(scope, node);
    } else if (q.local == "getetag") {
      out->getetag = Trimmed(node);
    } else if (q.local == "getcontenttype") {
      out->getcontenttype = Trimmed(node);
    } else if (q.local == "displayname") {
      out->displayname = Trimmed(node);
    } else if (q.local == "sync-token") {
      out->sync_token = Trimmed(node);
    } else if (q.local == "current-user-principal") {
      out->current_user_principal = FirstHref(p);
    } else if (q.local == "principal-URL") {
      out->principal_url = FirstHref(p);
    } else if (q.local == "owner") {
      out->owner = FirstHref(p);
    } else if (q.local == "principal-collection-set") {
      out->principal_collection_set = p.hrefs;
    } else if (q.local == "supported-report-set") {
      ForEachElement(scope, node, [&scope, out](pugi::xml_node sr, const QName& sq) {
        if (!sq.IsDav("supported-report")) return;
        ForEachElement(scope, sr, [&scope, out](pugi::xml_node report, const QName& rq) {
          if (!rq.IsDav("report")) return;
          ForEachElement(scope, report, [out](pugi::xml_node, const QName& name) {
            out->supported_reports.push_back(ClarkName(name.ns, name.local));
          });
        });
      });
    }
  } else if (q.ns == kCaldavNs) {
    if (q.local == "calendar-home-set") {
      out->calendar_home_set = p.hrefs;
    } else if (q.local == "calendar-user-address-set") {
      out->calendar_user_address_set = p.hrefs;
    } else if (q.local == "schedule-inbox-URL") {
      out->schedule_inbox_url = FirstHref(p);
    } else if (q.local == "schedule-outbox-URL") {
      out->schedule_outbox_url = FirstHref(p);
    } else if (q.local == "schedule-default-calendar-URL") {
      out->schedule_default_calendar_url = FirstHref(p);
    } else if (q.local == "calendar-data") {
      out->calendar_data = DirectTextCopy(node);
    } else if (q.local == "schedule-tag") {
      out->schedule_tag = Trimmed(node);
    } else if (q.local == "supported-calendar-component-set") {
      std::vector<std::string> comps;
      comps.reserve(CountNamed(node, "comp"));
      ForEachElement(scope, node, [&comps](pugi::xml_node comp, const QName& cq) {
        if (cq.Is(kCaldavNs, "comp")) {
          comps.push_back(absl::AsciiStrToUpper(comp.attribute("name").value()));
        }
      });
      out->supported_components = std::move(comps);
    }
  } else if (q.ns == kCalendarServerNs) {
    if (q.local == "getctag") {
      out->getctag = Trimmed(node);
    } else if (q.local == "pushkey") {
      out->pushkey = Trimmed(node);
    } else if (q.local == "xmpp-server") {
      out->xmpp_server = Trimmed(node);
    } else if (q.local == "xmpp-uri") {
      out->xmpp_uri = Trimmed(node);
    } else if (q.local == "notification-URL") {
      out->notification_url = FirstHref(p);
    } else if (q.local == "calendar-proxy-read-for") {
      out->proxy_read_for = p.hrefs;
    } else if (q.local == "calendar-proxy-write-for") {
      out->proxy_write_for = p.hrefs;
    } else if (q.local == "email-address-set") {
      ForEachElement(scope, node, [out](pugi::xml_node e, const QName& eq) {
        if (eq.Is(kCalendarServerNs, "email-address")) out->email_address_set.push_back(Trimmed(e));
      });
    }
  }
}

void ParseProperty(NsScope& scope, pugi::xml_node node, QName q, int status,
                   MultistatusResponse* r) {
  if (q.ns.empty()) q.ns = kDavNs;  // tolerated: a server that forgot its xmlns
  r->properties.emplace_back();
  DavProperty& p = r->properties.back();
  p.name = ClarkName(q.ns, q.local);
  p.status = status;
  p.text = DirectTextCopy(node);
  ForEachElement(scope, node, [&scope, &p](pugi::xml_node child, const QName& cq) {
    if (cq.IsDav("href")) {
      p.hrefs.push_back(NormalizedHref(child));
    } else if (cq.IsDav("response")) {
      ForEachElement(scope, child, [&p](pugi::xml_node grandchild, const QName& gq) {
        if (gq.IsDav("href")) p.hrefs.push_back(NormalizedHref(grandchild));
      });
    }
  });
  if (status >= 200 && status < 300) FillTyped(scope, q, node, p, &r->props);
}

void ParsePropstat(NsScope& scope, pugi::xml_node propstat, MultistatusResponse* r) {
  int status = 200;  // tolerated: a propstat without DAV:status
  ForEachElement(scope, propstat, [&status](pugi::xml_node c, const QName& q) {
    if (q.IsDav("status")) status = StatusOf(c);
  });
  ForEachElement(scope, propstat, [&scope, status, r](pugi::xml_node c, const QName& q) {
    if (!q.IsDav("prop")) return;
    ForEachElement(scope, c, [&scope, status, r](pugi::xml_node prop, const QName& pq) {
      ParseProperty(scope, prop, pq, status, r);
    });
  });
}

absl::Status ParseResponse(NsScope& scope, pugi::xml_node node,
                           std::vector<MultistatusResponse>* out) {
  size_t first = out->size();
  MultistatusResponse& r = out->emplace_back();
  r.properties.reserve(CountProperties(node));
  absl::InlinedVector<pugi::xml_node, 1> hrefs;
  bool have_status = false;
  ForEachElement(scope, node, [&](pugi::xml_node c, const QName& q) {
    if (q.IsDav("href")) {
      hrefs.push_back(c);
    } else if (q.IsDav("status") && !have_status) {
      r.status = StatusOf(c);
      have_status = true;
    } else if (q.IsDav("propstat")) {
      ParsePropstat(scope, c, &r);
    }
  });
  if (hrefs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("DAV:response #", first + 1, " has no DAV:href"));
  }
  // The RFC 4918 status form: several hrefs share one status (and whatever else was parsed).
  for (size_t i = 1; i < hrefs.size(); ++i) out->push_back((*out)[first]);
  for (size_t i = 0; i < hrefs.size(); ++i) {
    MultistatusResponse& entry = (*out)[first + i];
    entry.raw_href = DirectTextCopy(hrefs[i]);
    entry.href = NormalizeHref(entry.raw_href);
  }
  return absl::OkStatus();
}

}  // namespace

std::string ClarkName(absl::string_view ns, absl::string_view local) {
  return absl::StrCat("{", ns, "}", local);
}

bool DavProperties::SupportsReport(absl::string_view clark_name) const {
  for (const std::string& r : supported_reports) {
    if (r == clark_name) return true;
  }
  return false;
}

bool DavProperties::SupportsComponent(absl::string_view component) const {
  if (!supported_components) return false;
  for (const std::string& c : *supported_components) {
    if (absl::EqualsIgnoreCase(c, component)) return true;
  }
  return false;
}

const DavProperty* MultistatusResponse::FindProperty(absl::string_view ns,
                                                     absl::string_view local) const {
  // Compares against ClarkName(ns, local) piecewise, without building it.
  size_t size = ns.size() + local.size() + 2;
  for (const DavProperty& p : properties) {
    absl::string_view name = p.name;
    if (name.size() == size && name[0] == '{' && name[ns.size() + 1] == '}' &&
        name.substr(1, ns.size()) == ns && name.substr(ns.size() + 2) == local) {
      return &p;
    }
  }
  return nullptr;
}

int MultistatusResponse::PropertyStatus(absl::string_view ns, absl::string_view local) const {
  const DavProperty* p = FindProperty(ns, local);
  return p == nullptr ? 0 : p->status;
}

const MultistatusResponse* Multistatus::Find(absl::string_view href) const {
  for (const MultistatusResponse& r : responses) {
    if (SameHref(r.href, href)) return &r;
  }
  return nullptr;
}

int ParseStatusLine(absl::string_view line) {
  // The first two words, split on blanks.
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  absl::string_view words[2];
  size_t count = 0;
  size_t pos = 0;
  while (count < 2) {
    while (pos < line.size() && blank(line[pos])) ++pos;
    if (pos == line.size()) break;
    size_t start = pos;
    while (pos < line.size() && !blank(line[pos])) ++pos;
    words[count++] = line.substr(start, pos - start);
  }
  size_t i = 0;
  if (count > 0 && absl::StartsWithIgnoreCase(words[0], "HTTP/")) i = 1;
  int code = 0;
  if (i >= count || words[i].size() != 3 || !absl::SimpleAtoi(words[i], &code)) return 0;
  return code >= 100 && code <= 599 ? code : 0;
}

absl::StatusOr<Multistatus> ParseMultistatus(absl::string_view body) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed XML: ", parsed.description(), " at byte ", parsed.offset));
  }
  pugi::xml_node root = doc.document_element();
  NsScope scope;
  scope.Enter(root);
  QName rq = scope.Resolve(root);
  if (!rq.IsDav("multistatus")) {
    return absl::InvalidArgumentError(absl::StrCat("expected a DAV:multistatus document, got <",
                                                   ClarkName(rq.ns, rq.local), ">"));
  }
  Multistatus ms;
  ms.responses.reserve(CountNamed(root, "response"));
  absl::Status status;
  ForEachElement(scope, root, [&](pugi::xml_node c, const QName& q) {
    if (!status.ok()) return;
    if (q.IsDav("response")) {
      status = ParseResponse(scope, c, &ms.responses);
    } else if (q.IsDav("sync-token")) {
      ms.sync_token = Trimmed(c);
    }
  });
  if (!status.ok()) return status;
  return ms;
}

bool DavFeatures::Has(absl::string_view token) const {
  for (const std::string& t : tokens) {
    if (t == token) return true;
  }
  return false;
}

DavFeatures ParseDavHeader(const std::vector<std::string>& dav_header_values) {
  DavFeatures f;
  auto add = [&f](absl::string_view token) {
    token = absl::StripAsciiWhitespace(token);
    if (!token.empty() && !f.Has(token)) f.tokens.emplace_back(token);
  };
  for (const std::string& value : dav_header_values) {
    size_t start = 0;
    bool in_url = false;
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '<') {
        in_url = true;
      } else if (value[i] == '>') {
        in_url = false;
      } else if (value[i] == ',' && !in_url) {
        add(absl::string_view(value).substr(start, i - start));
        start = i + 1;
      }
    }
    add(absl::string_view(value).substr(start));
  }
  return f;
}

}  // namespace loadsim
