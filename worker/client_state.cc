#include "worker/client_state.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace loadsim {
namespace {

constexpr absl::string_view kMagic = "loadsim-client-state\n";
constexpr int kMaxMessages = 20;

// scheme://authority of a URL ("http://h:1/x" -> "http://h:1").
std::string OriginOf(absl::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return std::string(url);
  size_t slash = url.find('/', scheme + 3);
  return std::string(url.substr(0, slash));
}

void Complain(const std::string& message) {
  static std::atomic<int> written{0};
  int n = written.fetch_add(1);
  if (n < kMaxMessages) {
    std::fprintf(stderr, "loadsim-worker: %s\n", message.c_str());
  } else if (n == kMaxMessages) {
    std::fprintf(stderr, "loadsim-worker: (further client data messages are not shown)\n");
  }
}

// "the file's <what> is A, this client's is B" when they differ.
absl::Status Expect(const std::string& path, absl::string_view what, const std::string& got,
                    const std::string& want) {
  if (got == want) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("client data ", path, ": written for ", what,
                                                    " '", got, "', this client's is '", want,
                                                    "'"));
}

}  // namespace

std::string ClientStatePath(absl::string_view dir, absl::string_view uid, absl::string_view title,
                            int j) {
  std::string name = absl::StrCat(uid, "-", absl::StrReplaceAll(title, {{" ", "_"}, {"/", "_"}}));
  if (j > 0) absl::StrAppend(&name, "-", j);
  return (std::filesystem::path(std::string(dir)) / absl::StrCat(name, ".state")).string();
}

ClientIdentity IdentityOf(const CalendarClient& client) {
  return {client.traits().name, client.title(), OriginOf(client.options().root),
          client.options().uid};
}

v1::ClientState ToProto(const ClientIdentity& who, const ClientSnapshot& snapshot) {
  v1::ClientState s;
  s.set_format_version(kClientStateFormatVersion);
  s.set_software(who.software);
  s.set_title(who.title);
  s.set_server(who.server);
  s.set_uid(who.uid);
  s.set_principal(snapshot.principal);
  s.set_home(snapshot.home);
  s.set_sync_mode(snapshot.sync_mode);
  s.set_push_key(snapshot.push_key);
  s.set_saved_unix_seconds(absl::ToUnixSeconds(absl::Now()));
  for (const auto& [href, cal] : snapshot.calendars) {
    v1::CalendarState* c = s.add_calendars();
    c->set_href(href);
    c->set_name(cal.name);
    for (const std::string& comp : cal.components) c->add_components(comp);
    c->set_inbox(cal.inbox);
    c->set_sync_report(cal.sync_report);
    c->set_token(cal.token);
    c->set_sync_token(cal.sync_token);
    for (const auto& [item_href, item] : cal.items) {
      v1::ItemState* i = c->add_items();
      i->set_href(item_href);
      i->set_etag(item.etag);
      i->set_uid(item.uid);
      i->set_summary(item.summary);
      i->set_kind(static_cast<int32_t>(item.kind));
    }
  }
  return s;
}

ClientSnapshot FromProto(const v1::ClientState& state) {
  ClientSnapshot snap;
  snap.principal = state.principal();
  snap.home = state.home();
  snap.sync_mode = state.sync_mode();
  snap.push_key = state.push_key();
  for (const v1::CalendarState& c : state.calendars()) {
    CachedCalendar& cal = snap.calendars[c.href()];
    cal.href = c.href();
    cal.name = c.name();
    cal.components.assign(c.components().begin(), c.components().end());
    cal.inbox = c.inbox();
    cal.sync_report = c.sync_report();
    cal.token = c.token();
    cal.sync_token = c.sync_token();
    for (const v1::ItemState& i : c.items()) {
      CachedItem& item = cal.items[i.href()];
      item.etag = i.etag();
      item.uid = i.uid();
      item.summary = i.summary();
      bool known = i.kind() >= static_cast<int>(ComponentKind::kNone) &&
                   i.kind() <= static_cast<int>(ComponentKind::kOther);
      item.kind = known ? static_cast<ComponentKind>(i.kind()) : ComponentKind::kOther;
    }
  }
  return snap;
}

absl::Status SaveClientState(const std::string& path, const ClientIdentity& who,
                             const ClientSnapshot& snapshot) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("client data ", path, ": cannot create ",
                                               target.parent_path().string(), ": ", ec.message()));
  }
  std::string body(kMagic);
  if (!ToProto(who, snapshot).AppendToString(&body)) {
    return absl::InternalError(absl::StrCat("client data ", path, ": cannot serialize"));
  }
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (!out) {
      int err = errno;
      fs::remove(tmp, ec);
      return absl::UnavailableError(
          absl::StrCat("client data ", path, ": cannot write: ", std::strerror(err)));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    fs::remove(tmp, ec);
    return absl::UnavailableError(
        absl::StrCat("client data ", path, ": cannot rename into place: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClientSnapshot> LoadClientState(const std::string& path,
                                               const ClientIdentity& who) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat("client data ", path, ": none"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::DataLossError(
        absl::StrCat("client data ", path, ": cannot read: ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string body = buffer.str();
  if (body.compare(0, kMagic.size(), kMagic.data(), kMagic.size()) != 0) {
    return absl::DataLossError(absl::StrCat(
        "client data ", path, ": not a loadsim client state file (no \"loadsim-client-state\" line)"));
  }
  v1::ClientState state;
  if (!state.ParseFromArray(body.data() + kMagic.size(),
                            static_cast<int>(body.size() - kMagic.size()))) {
    return absl::DataLossError(
        absl::StrCat("client data ", path, ": corrupt (the state record does not parse)"));
  }
  if (state.format_version() != kClientStateFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat("client data ", path, ": format version ",
                                                      state.format_version(), ", expected ",
                                                      kClientStateFormatVersion));
  }
  for (absl::Status s : {Expect(path, "server", state.server(), who.server),
                         Expect(path, "account", state.uid(), who.uid),
                         Expect(path, "client software", state.software(), who.software)}) {
    if (!s.ok()) return s;
  }
  if (state.principal().empty() || state.home().empty()) {
    return absl::DataLossError(
        absl::StrCat("client data ", path, ": corrupt (no principal or calendar home)"));
  }
  return FromProto(state);
}

bool RestoreClientState(CalendarClient* client, const std::string& path) {
  absl::StatusOr<ClientSnapshot> snap = LoadClientState(path, IdentityOf(*client));
  if (!snap.ok()) {
    if (!absl::IsNotFound(snap.status())) {
      Complain(absl::StrCat(snap.status().message(), "; discovering afresh"));
    }
    return false;
  }
  client->Restore(*std::move(snap));
  return true;
}

void PersistClientState(const CalendarClient& client, const std::string& path) {
  absl::Status s = SaveClientState(path, IdentityOf(client), client.Snapshot());
  if (!s.ok()) Complain(std::string(s.message()));
}

}  // namespace loadsim
