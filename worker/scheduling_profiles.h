// The scheduling profiles of spec 4.4-4.6: Inviter (legacy), RealisticInviter and Accepter,
// which drive a CalendarClient's scheduling actions (calendar_client.h) against a server with
// implicit scheduling (RFC 6638, e.g. DAViCal).
//
// The inviters run the original's loopWithDistribution: wait a sendInvitationDistribution
// sample, send one invitation, and wait a new sample once it is over; the first wait is a
// random fraction of a sample (spec 9.4-10: no thundering herd), and the phase's load curve
// rescales the waits as it does the Eventer's ticks. Invitees come from the account directory
// of ProfileContext through InviteePicker, which never proposes an impossible attendee (spec
// 9.4-11): not the organizer, no duplicate, only entries with an email among the simulated
// accounts, clumped offsets wrapping around that population, at most 10 draws per invitee,
// and never more invitees than the population can supply. When an invitee still cannot be
// found the invitation is abandoned and counted as a failed "invite" ("Cannot add attendee").
//
// The Accepter watches the items its client fetches (the original's eventChanged). An
// invitation in a calendar whose ATTENDEE for this client (matched on the address, or on the
// EMAIL parameter the original relied on) is NEEDS-ACTION is accepted after an
// acceptDelayDistribution sample ("accept": PUT{attendee-<size>} with PARTSTAT=ACCEPTED, a
// re-read GET{event}, and DELETE{event} of the matching inbox request). Inbox replies are
// deleted at once ("reply done") and inbox cancellations after an acceptDelay sample
// ("cancelled": the inbox item and the client's copy, which the server may already have
// removed). Inbox requests that only update an invitation already answered (servers re-deliver
// one to every attendee when one replies) are deleted without an operation of their own, so
// inboxes do not grow over a long run. Unlike the original, every HTTP failure fails its operation with the reason
// (spec 9.4-20), and a 412 is retried at most three times after re-reading the event.
//
// Every timer (invitation, accept, reply, cancel) records how late it ran as lag{profile}.
//
// Not thread-safe: like every profile, on its client's loop thread; destroy before the client.
#ifndef LOADSIM_WORKER_SCHEDULING_PROFILES_H_
#define LOADSIM_WORKER_SCHEDULING_PROFILES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/distribution.h"
#include "common/random.h"
#include "worker/calendar_client.h"
#include "worker/event_loop.h"
#include "worker/ical.h"
#include "worker/profiles.h"

namespace loadsim {

// Chooses invitees for the organizer `context.user_number` among the first
// `context.population` entries of the directory (all entries when 0).
class InviteePicker {
 public:
  static constexpr int kTries = 10;

  // `offsets` samples the invitee distribution; with `clumping` a sample is an offset from the
  // organizer's number (wrapping around the population), else an absolute index (negative
  // samples are 0, out-of-range ones are redrawn).
  InviteePicker(const ProfileContext& context, NumberSampler offsets, bool clumping);

  // The number of entries invitees are drawn from.
  size_t pool() const { return pool_; }
  // The directory entry of the organizer itself; null when it is not in the directory.
  const v1::DirectoryEntry* self() const;
  // An invitee's entry index that is neither the organizer, nor an entry without email, nor
  // one whose "mailto:<email>" is in `taken` (compared case-insensitively); nullopt after
  // kTries draws.
  std::optional<size_t> Pick(RandomStream& rng, const std::vector<std::string>& taken);
  const v1::DirectoryEntry& entry(size_t index) const { return (*directory_)[index]; }

 private:
  const std::vector<v1::DirectoryEntry>* directory_;
  uint64_t user_number_;
  size_t pool_;
  NumberSampler offsets_;
  bool clumping_;
};

// Base of the inviters: loopWithDistribution over SendInvitation.
class InvitationLoop : public Profile {
 public:
  ~InvitationLoop() override;
  void Start(int64_t stop_ns = 0) override;
  void Stop() override;
  void Replan() override;

 protected:
  InvitationLoop(CalendarClient* client, uint64_t seed, NumberSampler gap,
                 const ProfileContext& context, NumberSampler offsets, bool clumping);
  bool Tick(int64_t) override { return false; }  // not fixed-rate: see Send
  // One invitation due at `due_ns`; calls `done` exactly once when it is over.
  virtual void SendInvitation(int64_t due_ns, std::function<void()> done) = 0;
  // Records the operation "invite" due at `due_ns`.
  void RecordInvite(int64_t due_ns, bool ok, const std::string& reason);
  // The organizer as a CalendarUser (own address, CN from the directory).
  CalendarUser Self(absl::string_view partstat) const;
  // Expires when the profile is destroyed (callbacks check it).
  std::weak_ptr<bool> alive_token() const { return loop_alive_; }

  InviteePicker picker_;

 private:
  // Schedules the next invitation `fraction` of a gap sample after `from_ns`.
  void ScheduleAfter(int64_t from_ns, double fraction);
  void Send(int64_t due_ns);

  NumberSampler gap_;
  int64_t loop_stop_ns_ = 0;
  bool loop_stopped_ = true;
  bool busy_ = false;
  EventLoop::TimerId loop_timer_ = 0;
  std::shared_ptr<bool> loop_alive_;
};

class RealisticInviter : public InvitationLoop {
 public:
  static absl::StatusOr<std::unique_ptr<RealisticInviter>> Create(
      const v1::RealisticInviterParams& params, CalendarClient* client, uint64_t seed,
      const ProfileContext& context);

 protected:
  void SendInvitation(int64_t due_ns, std::function<void()> done) override;

 private:
  RealisticInviter(CalendarClient* client, uint64_t seed, NumberSampler gap,
                   const ProfileContext& context, NumberSampler offsets, bool clumping,
                   NumberSampler count, EventTemplate event);

  NumberSampler count_;
  EventTemplate event_;
};

// The legacy Inviter: adds one invitee to one of the client's own events. Event bodies are not
// kept in memory (spec 9.4-19), so it reads a candidate event first (GET{event}, at most three
// candidates per invitation) before the lookup and PUT{organizer-<size>} with If-Match.
class Inviter : public InvitationLoop {
 public:
  static absl::StatusOr<std::unique_ptr<Inviter>> Create(const v1::InviterParams& params,
                                                         CalendarClient* client, uint64_t seed,
                                                         const ProfileContext& context);

 protected:
  void SendInvitation(int64_t due_ns, std::function<void()> done) override;

 private:
  static constexpr int kCandidates = 3;
  Inviter(CalendarClient* client, uint64_t seed, NumberSampler gap, const ProfileContext& context,
          NumberSampler offsets);
  void TryCandidate(std::shared_ptr<std::vector<std::string>> candidates, int64_t due_ns,
                    std::function<void()> done);
  void Invite(const std::string& href, CalendarObject event, const std::string& etag,
              int64_t due_ns, std::function<void()> done);
};

class Accepter : public Profile {
 public:
  static absl::StatusOr<std::unique_ptr<Accepter>> Create(const v1::AccepterParams& params,
                                                          CalendarClient* client, uint64_t seed);
  ~Accepter() override;
  void Start(int64_t stop_ns = 0) override;
  void Stop() override;
  void Replan() override {}

  // Items being handled (an accept, reply or cancel is scheduled or running, or an inbox
  // message waits for the work on its href to end).
  size_t pending() const { return pending_.size() + deferred_.size(); }

 protected:
  bool Tick(int64_t) override { return false; }  // event-driven: no timer loop

 private:
  enum class Work { kAccept, kReplyDone, kCancel, kDiscard };
  struct Pending {
    Work work = Work::kAccept;
    EventLoop::TimerId timer = 0;
    std::string uid;
    std::optional<CalendarObject> object;  // accept: the newest copy seen
    std::string etag;                      // of the calendar copy (accept) or of the inbox message
    std::string schedule_tag;
  };
  // An inbox message, as far as its handling needs it.
  struct InboxMessage {
    std::string method;  // upper-cased METHOD
    std::string uid;
    std::string etag;
  };
  static constexpr int kMaxPreconditionRetries = 3;

  Accepter(CalendarClient* client, uint64_t seed, NumberSampler delay);
  void OnItem(const CalendarClient::ItemChange& change);
  // Schedules the work for a new message at `href` in the inbox (none for some requests).
  void OnInboxMessage(const std::string& href, InboxMessage message);
  // True if the main component has this client as ATTENDEE with PARTSTAT=NEEDS-ACTION.
  bool NeedsAction(const CalendarObject& object) const;
  void Schedule(const std::string& href, Pending pending, double delay_s);
  void Run(const std::string& href, int64_t due_ns);
  void Accept(const std::string& href, int64_t due_ns, int attempt);
  void ReplyDone(const std::string& href, int64_t due_ns);
  void Cancel(const std::string& href, int64_t due_ns);
  // Ends the work on `href`, recording `label`.
  void Finish(const std::string& href, const char* label, int64_t due_ns, bool ok,
              const std::string& reason);
  // Forgets the work on `href`; a message that arrived at `href` meanwhile is handled now.
  void Done(const std::string& href);
  bool AcceptPending(const std::string& uid) const;
  // The first cached item with `uid` in an inbox (`inbox`) or a calendar, and its ETag in
  // `etag` when given; "" if none.
  std::string FindByUid(const std::string& uid, bool inbox, std::string* etag = nullptr) const;

  NumberSampler delay_;
  bool accepter_stopped_ = true;
  int observer_ = 0;
  std::map<std::string, Pending> pending_;  // by item href
  // Inbox messages written at an href whose work was running when they were seen (DAViCal
  // writes every message of one event at <uid>.ics: a CANCEL can replace a REQUEST there).
  std::map<std::string, InboxMessage> deferred_;
  std::shared_ptr<bool> accepter_alive_;
};

// The Inviter, RealisticInviter or Accepter of `spec` (CreateProfile's part for them).
absl::StatusOr<std::unique_ptr<Profile>> CreateSchedulingProfile(const v1::ProfileSpec& spec,
                                                                 CalendarClient* client,
                                                                 uint64_t seed,
                                                                 const ProfileContext& context);

}  // namespace loadsim

#endif  // LOADSIM_WORKER_SCHEDULING_PROFILES_H_
