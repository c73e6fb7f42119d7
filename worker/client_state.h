// Client data serialization (clientDataSerialization, calendarserver-sim.md 9.1): one file per
// simulated calendar client with what it knows about its account (principal, home, calendars
// with their change and sync tokens, the items with their etags), written when the client
// stops and read when it starts with UseOldData, so that a later run skips discovery and
// resyncs only the calendars that changed.
//
// Format: the line "loadsim-client-state\n" then a serialized loadsim.v1.ClientState
// (proto/loadsim/v1/client_state.proto), format_version 1. Files are written to a temporary
// name and renamed, so a crash never leaves half a file. Reading refuses, with an error naming
// the file and the problem, a missing magic line, an unparsable body, another format version,
// and a file written for another server, account or client software; the client then discovers
// afresh. Unlike r11831 (spec 9.4 item 19) calendar data is not stored: items keep their etag,
// UID, summary and kind (the in-memory cache), and changed ones are fetched again by etag.
//
// Plain functions; safe from any thread as long as no two threads use the same file.
#ifndef LOADSIM_WORKER_CLIENT_STATE_H_
#define LOADSIM_WORKER_CLIENT_STATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadsim/v1/client_state.pb.h"
#include "worker/calendar_client.h"

namespace loadsim {

inline constexpr int kClientStateFormatVersion = 1;

// The file of client `j` of account `uid` with this title under `dir`:
// "<dir>/<uid>-<title with spaces as '_'>.state", with "-<j>" before ".state" when j > 0
// (r11831 let two clients of one user with the same title share and corrupt one directory).
std::string ClientStatePath(absl::string_view dir, absl::string_view uid, absl::string_view title,
                            int j);

// Who a state file belongs to; a file is only used by the same identity.
struct ClientIdentity {
  std::string software;  // "OS_X_10_7"
  std::string title;
  std::string server;  // scheme://authority
  std::string uid;
};

// The identity of `client` (its software, title, server origin and account).
ClientIdentity IdentityOf(const CalendarClient& client);

v1::ClientState ToProto(const ClientIdentity& who, const ClientSnapshot& snapshot);
ClientSnapshot FromProto(const v1::ClientState& state);

// Writes `snapshot` to `path` (creating its directory); errors name the file.
absl::Status SaveClientState(const std::string& path, const ClientIdentity& who,
                             const ClientSnapshot& snapshot);
// Reads `path`: NotFound when there is no file; DataLoss when it is not a readable state file;
// FailedPrecondition when it belongs to another format version, server, account or software.
absl::StatusOr<ClientSnapshot> LoadClientState(const std::string& path, const ClientIdentity& who);

// What a CalendarClient does at start and stop: restore from `path` (false, with the reason
// written to stderr unless the file is simply absent, when it cannot) and persist to it
// (problems written to stderr). At most 20 such messages are written per process.
bool RestoreClientState(CalendarClient* client, const std::string& path);
void PersistClientState(const CalendarClient& client, const std::string& path);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_CLIENT_STATE_H_
