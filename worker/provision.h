// Provisioning: makes sure every account of a run has an event calendar and a task calendar,
// for servers that create none for new accounts (Radicale, Xandikos, DAViCal accounts made
// with SQL). CalendarServer created them itself, so its sim never had to.
//
// For each account: PROPFIND{find-principal} Depth 0 on principalPathTemplate % uid
// (current-user-principal, else principal-URL, else that path), PROPFIND{principal} for the
// calendar home, PROPFIND{home} Depth 1, then one MKCALENDAR for a VEVENT calendar and one for a
// VTODO calendar when no calendar of the home supports them (MissingCalendarRequests). It is
// idempotent: a second run finds both and creates nothing. Accounts are handled `concurrency`
// at a time on one event loop in the calling thread, each with its own connections and
// authentication (Basic or Digest, as the server asks). The calendar clients use
// MissingCalendarRequests during their own start-up too.
//
// `loadsim-worker --standalone --config F --provision` runs it for the configuration's users;
// the master can call ProvisionAccounts with the run's accounts. Functions only; each call
// owns everything it uses, so calls on different threads are independent.
#ifndef LOADSIM_WORKER_PROVISION_H_
#define LOADSIM_WORKER_PROVISION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loadsim/v1/run_spec.pb.h"
#include "worker/caldav_requests.h"
#include "worker/multistatus.h"
#include "worker/recorder.h"

namespace loadsim {

// MKCALENDAR requests giving the home listed in `listing` (a PROPFIND Depth 1 of `home`) a
// VEVENT calendar ("calendar/", displayname "Calendar") and a VTODO calendar ("tasks/",
// "Tasks") if no calendar there supports them; a name already taken gets a "-2", "-3"...
// suffix. Empty when nothing is missing.
std::vector<CaldavRequest> MissingCalendarRequests(const RequestBuilder& builder,
                                                   absl::string_view home,
                                                   const Multistatus& listing);

struct ProvisionOptions {
  int concurrency = 8;            // accounts in progress at once
  double request_timeout_s = 60;  // per request
};

struct AccountProvision {
  std::string uid;
  bool ok = false;
  int calendars_created = 0;
  std::string error;  // "<label> <url>: <reason>" when !ok
};

struct ProvisionResult {
  std::vector<AccountProvision> accounts;  // in the order given
  LabelMap labels;                         // every request, by label
  int created = 0;                         // calendars created
  int failed = 0;                          // accounts that could not be provisioned
};

// The accounts of a run's users: user n < groups x groupSize has account n (those without
// an account are left out).
std::vector<v1::Account> AccountsOfRun(const v1::RunSpec& spec,
                                       const std::vector<v1::Account>& accounts);

// Provisions `accounts` on the server of `spec` (its URL and principalPathTemplate).
// InvalidArgument when the spec has no server URL or an account has no uid; per-account
// failures are in the result.
absl::StatusOr<ProvisionResult> ProvisionAccounts(const v1::RunSpec& spec,
                                                  const std::vector<v1::Account>& accounts,
                                                  const ProvisionOptions& options = {});

// One line per failed account, a per-label request table and a summary line.
std::string FormatProvisionReport(const ProvisionResult& result);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_PROVISION_H_
