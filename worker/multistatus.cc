#include "worker/multistatus.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pugixml.hpp"
#include "worker/dav_xml.h"

namespace loadsim {
namespace {

// An element's namespace (canonical, "" if undeclared) and local name.
struct QName {
  std::string ns;
  absl::string_view local;

  bool Is(absl::string_view want_ns, absl::string_view want_local) const {
    return ns == want_ns && local == want_local;
  }
  // DAV: elements are also accepted without any namespace (servers that forget xmlns).
  bool IsDav(absl::string_view want_local) const {
    return (ns == kDavNs || ns.empty()) && local == want_local;
  }
};

QName Resolve(pugi::xml_node node) {
  absl::string_view name = node.name();
  size_t colon = name.find(':');
  std::string attr = "xmlns";
  QName q;
  if (colon == absl::string_view::npos) {
    q.local = name;
  } else {
    absl::StrAppend(&attr, ":", name.substr(0, colon));
    q.local = name.substr(colon + 1);
  }
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    pugi::xml_attribute a = n.attribute(attr.c_str());
    if (a) {
      q.ns = CanonicalNamespace(a.value());
      return q;
    }
  }
  return q;
}

// Character data directly inside `node` (PCDATA and CDATA children, concatenated).
std::string DirectText(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

std::string Trimmed(pugi::xml_node node) {
  return std::string(absl::StripAsciiWhitespace(DirectText(node)));
}

template <typename Fn>
void ForEachElement(pugi::xml_node node, Fn fn) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element) fn(c, Resolve(c));
  }
}

// The normalized text of the first DAV:href child, "" if none.
std::string FirstHref(const DavProperty& p) { return p.hrefs.empty() ? "" : p.hrefs.front(); }

ResourceType ParseResourceType(pugi::xml_node prop) {
  ResourceType t;
  ForEachElement(prop, [&t](pugi::xml_node, const QName& q) {
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
void FillTyped(const QName& q, pugi::xml_node node, const DavProperty& p, DavProperties* out) {
  if (q.ns == kDavNs || q.ns.empty()) {
    if (q.local == "resourcetype") {
      out->resourcetype = ParseResourceType(node);
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
      ForEachElement(node, [out](pugi::xml_node sr, const QName& sq) {
        if (!sq.IsDav("supported-report")) return;
        ForEachElement(sr, [out](pugi::xml_node report, const QName& rq) {
          if (!rq.IsDav("report")) return;
          ForEachElement(report, [out](pugi::xml_node, const QName& name) {
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
      out->calendar_data = DirectText(node);
    } else if (q.local == "schedule-tag") {
      out->schedule_tag = Trimmed(node);
    } else if (q.local == "supported-calendar-component-set") {
      std::vector<std::string> comps;
      ForEachElement(node, [&comps](pugi::xml_node comp, const QName& cq) {
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
      ForEachElement(node, [out](pugi::xml_node e, const QName& eq) {
        if (eq.Is(kCalendarServerNs, "email-address")) out->email_address_set.push_back(Trimmed(e));
      });
    }
  }
}

void ParseProperty(pugi::xml_node node, int status, MultistatusResponse* r) {
  QName q = Resolve(node);
  if (q.ns.empty()) q.ns = kDavNs;  // tolerated: a server that forgot its xmlns
  DavProperty p;
  p.name = ClarkName(q.ns, q.local);
  p.status = status;
  p.text = DirectText(node);
  ForEachElement(node, [&p](pugi::xml_node child, const QName& cq) {
    if (cq.IsDav("href")) {
      p.hrefs.push_back(NormalizeHref(DirectText(child)));
    } else if (cq.IsDav("response")) {
      ForEachElement(child, [&p](pugi::xml_node grandchild, const QName& gq) {
        if (gq.IsDav("href")) p.hrefs.push_back(NormalizeHref(DirectText(grandchild)));
      });
    }
  });
  if (status >= 200 && status < 300) FillTyped(q, node, p, &r->props);
  r->properties.push_back(std::move(p));
}

void ParsePropstat(pugi::xml_node propstat, MultistatusResponse* r) {
  int status = 200;  // tolerated: a propstat without DAV:status
  ForEachElement(propstat, [&status](pugi::xml_node c, const QName& q) {
    if (q.IsDav("status")) status = ParseStatusLine(DirectText(c));
  });
  ForEachElement(propstat, [status, r](pugi::xml_node c, const QName& q) {
    if (!q.IsDav("prop")) return;
    ForEachElement(
        c, [status, r](pugi::xml_node prop, const QName&) { ParseProperty(prop, status, r); });
  });
}

absl::Status ParseResponse(pugi::xml_node node, std::vector<MultistatusResponse>* out) {
  MultistatusResponse r;
  std::vector<std::string> raw_hrefs;
  bool have_status = false;
  ForEachElement(node, [&](pugi::xml_node c, const QName& q) {
    if (q.IsDav("href")) {
      raw_hrefs.push_back(DirectText(c));
    } else if (q.IsDav("status") && !have_status) {
      r.status = ParseStatusLine(DirectText(c));
      have_status = true;
    } else if (q.IsDav("propstat")) {
      ParsePropstat(c, &r);
    }
  });
  if (raw_hrefs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("DAV:response #", out->size() + 1, " has no DAV:href"));
  }
  for (size_t i = 0; i < raw_hrefs.size(); ++i) {
    if (i + 1 < raw_hrefs.size()) {
      out->push_back(r);  // the RFC 4918 status form: several hrefs share one status
    } else {
      out->push_back(std::move(r));
    }
    out->back().raw_href = std::move(raw_hrefs[i]);
    out->back().href = NormalizeHref(out->back().raw_href);
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
  std::string name = ClarkName(ns, local);
  for (const DavProperty& p : properties) {
    if (p.name == name) return &p;
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
  std::vector<absl::string_view> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty());
  size_t i = 0;
  if (!words.empty() && absl::StartsWithIgnoreCase(words[0], "HTTP/")) i = 1;
  int code = 0;
  if (i >= words.size() || words[i].size() != 3 || !absl::SimpleAtoi(words[i], &code)) return 0;
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
  QName rq = Resolve(root);
  if (!rq.IsDav("multistatus")) {
    return absl::InvalidArgumentError(absl::StrCat("expected a DAV:multistatus document, got <",
                                                   ClarkName(rq.ns, rq.local), ">"));
  }
  Multistatus ms;
  absl::Status status;
  ForEachElement(root, [&](pugi::xml_node c, const QName& q) {
    if (!status.ok()) return;
    if (q.IsDav("response")) {
      status = ParseResponse(c, &ms.responses);
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
