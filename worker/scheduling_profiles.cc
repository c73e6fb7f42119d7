#include "worker/scheduling_profiles.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "worker/dav_xml.h"

namespace loadsim {
namespace {

constexpr char kNeedsAction[] = "NEEDS-ACTION";

// "mailto:x@y" and "x@y" alike, case-insensitively.
bool SameAddress(absl::string_view a, absl::string_view b) {
  auto bare = [](absl::string_view s) {
    return absl::StartsWithIgnoreCase(s, "mailto:") ? s.substr(7) : s;
  };
  return !a.empty() && !b.empty() && absl::EqualsIgnoreCase(bare(a), bare(b));
}

bool Taken(const std::vector<std::string>& taken, absl::string_view address) {
  for (const std::string& t : taken) {
    if (SameAddress(t, address)) return true;
  }
  return false;
}

int64_t NowNs(CalendarClient* client) { return client->loop()->UpdateNow(); }

// How late a profile timer runs, as the Eventer's ticks (spec 4.1: profile operations carry
// lag; 9.4-24).
void RecordLag(CalendarClient* client, int64_t due_ns) {
  client->recorder()->Record("lag{profile}", NowNs(client) - due_ns, true);
}

}  // namespace

// --- InviteePicker ---

InviteePicker::InviteePicker(const ProfileContext& context, NumberSampler offsets, bool clumping)
    : directory_(context.directory),
      user_number_(context.user_number),
      pool_(directory_ == nullptr ? 0 : directory_->size()),
      offsets_(std::move(offsets)),
      clumping_(clumping) {
  if (context.population > 0 && context.population < pool_) pool_ = context.population;
}

const v1::DirectoryEntry* InviteePicker::self() const {
  if (directory_ == nullptr || user_number_ >= directory_->size()) return nullptr;
  return &(*directory_)[user_number_];
}

std::optional<size_t> InviteePicker::Pick(RandomStream& rng,
                                          const std::vector<std::string>& taken) {
  if (pool_ == 0) return std::nullopt;
  const int64_t pool = static_cast<int64_t>(pool_);
  for (int i = 0; i < kTries; ++i) {
    double sample = offsets_.Sample(rng);
    if (!std::isfinite(sample)) continue;
    int64_t s = static_cast<int64_t>(std::floor(sample));
    int64_t index;
    if (clumping_) {
      // A ring: the highest-numbered users find invitees as easily as the others (9.4-11).
      index = ((static_cast<int64_t>(user_number_ % pool_) + s) % pool + pool) % pool;
    } else {
      index = std::max<int64_t>(0, s);
      if (index >= pool) continue;
    }
    if (static_cast<uint64_t>(index) == user_number_) continue;
    const v1::DirectoryEntry& e = (*directory_)[static_cast<size_t>(index)];
    if (e.email().empty()) continue;
    std::string address = absl::StrCat("mailto:", e.email());
    if (Taken(taken, address)) continue;
    return static_cast<size_t>(index);
  }
  return std::nullopt;
}

// --- InvitationLoop ---

InvitationLoop::InvitationLoop(CalendarClient* client, uint64_t seed, NumberSampler gap,
                               const ProfileContext& context, NumberSampler offsets,
                               bool clumping)
    : Profile(client, /*interval_s=*/1, seed),
      picker_(context, std::move(offsets), clumping),
      gap_(std::move(gap)),
      loop_alive_(std::make_shared<bool>(true)) {}

InvitationLoop::~InvitationLoop() {
  *loop_alive_ = false;
  InvitationLoop::Stop();
}

void InvitationLoop::Start(int64_t stop_ns) {
  loop_stop_ns_ = stop_ns;
  loop_stopped_ = false;
  // An invitation in flight schedules the next one when it is over.
  if (busy_ || loop_timer_ != 0) return;
  ScheduleAfter(client_->loop()->now_ns(), rng_.Uniform01());
}

void InvitationLoop::Stop() {
  loop_stopped_ = true;
  if (loop_timer_ != 0) client_->loop()->CancelTimer(loop_timer_);
  loop_timer_ = 0;
}

void InvitationLoop::Replan() {
  if (loop_stopped_ || loop_timer_ == 0) return;
  client_->loop()->CancelTimer(loop_timer_);
  loop_timer_ = 0;
  ScheduleAfter(client_->loop()->now_ns(), rng_.Uniform01());
}

void InvitationLoop::ScheduleAfter(int64_t from_ns, double fraction) {
  if (loop_stopped_) return;
  double gap_s = std::max(0.0, gap_.Sample(rng_)) * fraction;
  int64_t due = load_curve() == nullptr ? from_ns + static_cast<int64_t>(gap_s * 1e9)
                                        : load_curve()->Advance(from_ns, gap_s);
  if (due == FactorCurve::kNever || (loop_stop_ns_ > 0 && due >= loop_stop_ns_)) return;
  loop_timer_ = client_->loop()->AddTimer(due, [this, due] {
    loop_timer_ = 0;
    RecordLag(client_, due);
    Send(due);
  });
}

void InvitationLoop::Send(int64_t due_ns) {
  if (loop_stopped_) return;
  if (!client_->started() || client_->stopped()) {
    return ScheduleAfter(client_->loop()->now_ns(), 1.0);
  }
  busy_ = true;
  CountOperation();
  std::weak_ptr<bool> alive = loop_alive_;
  SendInvitation(due_ns, [this, alive] {
    if (alive.expired()) return;
    busy_ = false;
    if (loop_timer_ == 0) ScheduleAfter(client_->loop()->now_ns(), 1.0);
  });
}

void InvitationLoop::RecordInvite(int64_t due_ns, bool ok, const std::string& reason) {
  client_->RecordOperation("invite", NowNs(client_) - due_ns, ok, reason);
}

CalendarUser InvitationLoop::Self(absl::string_view partstat) const {
  CalendarUser me;
  me.address = client_->address();
  if (const v1::DirectoryEntry* e = picker_.self(); e != nullptr) me.cn = e->common_name();
  me.cutype = "INDIVIDUAL";
  me.partstat = std::string(partstat);
  return me;
}

// --- RealisticInviter ---

absl::StatusOr<std::unique_ptr<RealisticInviter>> RealisticInviter::Create(
    const v1::RealisticInviterParams& params, CalendarClient* client, uint64_t seed,
    const ProfileContext& context) {
  absl::StatusOr<NumberSampler> gap = NumberSampler::Create(params.send_invitation());
  if (!gap.ok()) return gap.status();
  absl::StatusOr<NumberSampler> offsets = NumberSampler::Create(params.invitee());
  if (!offsets.ok()) return offsets.status();
  absl::StatusOr<NumberSampler> count = NumberSampler::Create(params.invitee_count());
  if (!count.ok()) return count.status();
  absl::StatusOr<EventTemplate> event =
      EventTemplate::Create(params.event_start(), params.event_duration(),
                            params.has_recurrence() ? &params.recurrence() : nullptr);
  if (!event.ok()) return event.status();
  return std::unique_ptr<RealisticInviter>(new RealisticInviter(
      client, seed, *std::move(gap), context, *std::move(offsets), params.invitee_clumping(),
      *std::move(count), *std::move(event)));
}

RealisticInviter::RealisticInviter(CalendarClient* client, uint64_t seed, NumberSampler gap,
                                   const ProfileContext& context, NumberSampler offsets,
                                   bool clumping, NumberSampler count, EventTemplate event)
    : InvitationLoop(client, seed, std::move(gap), context, std::move(offsets), clumping),
      count_(std::move(count)),
      event_(std::move(event)) {}

void RealisticInviter::SendInvitation(int64_t due_ns, std::function<void()> done) {
  const CachedCalendar* calendar = PickCalendar("VEVENT");
  if (calendar == nullptr) return done();
  CalendarUser me = Self("ACCEPTED");
  if (me.address.empty()) {
    RecordInvite(due_ns, false, "no calendar-user address");
    return done();
  }
  EventSpec spec = event_.Sample(rng_);
  CalendarUser organizer;
  organizer.address = me.address;
  organizer.cn = me.cn;
  spec.organizer = organizer;
  spec.attendees.push_back(me);
  // The count is truncated as the original's int(); never more than the population can give.
  double wanted = count_.Sample(rng_);
  size_t count = 0;
  if (std::isfinite(wanted) && wanted >= 1) {
    count = static_cast<size_t>(std::min(wanted, 1e6));
  }
  count = std::min(count, picker_.pool() > 0 ? picker_.pool() - 1 : 0);
  std::vector<std::string> taken = {me.address};
  for (size_t i = 0; i < count; ++i) {
    std::optional<size_t> index = picker_.Pick(rng_, taken);
    if (!index.has_value()) {
      // Abandoned, as the original, but counted (spec 9.4-11/20).
      RecordInvite(due_ns, false, "Cannot add attendee");
      return done();
    }
    const v1::DirectoryEntry& e = picker_.entry(*index);
    std::string address = absl::StrCat("mailto:", e.email());
    spec.attendees.push_back(Invitee(address, e.common_name()));
    taken.push_back(address);
  }
  absl::StatusOr<CalendarObject> event = CalendarObject::NewEvent(spec);
  if (!event.ok()) {
    RecordInvite(due_ns, false, std::string(event.status().message()));
    return done();
  }
  std::weak_ptr<bool> alive = alive_token();
  client_->AddInvite(calendar->href, *std::move(event),
                     [this, alive, due_ns, done](bool ok, const std::string& reason) {
                       if (alive.expired()) return;
                       RecordInvite(due_ns, ok, reason);
                       done();
                     });
}

// --- Inviter ---

absl::StatusOr<std::unique_ptr<Inviter>> Inviter::Create(const v1::InviterParams& params,
                                                         CalendarClient* client, uint64_t seed,
                                                         const ProfileContext& context) {
  absl::StatusOr<NumberSampler> gap = NumberSampler::Create(params.send_invitation());
  if (!gap.ok()) return gap.status();
  absl::StatusOr<NumberSampler> offsets = NumberSampler::Create(params.invitee());
  if (!offsets.ok()) return offsets.status();
  return std::unique_ptr<Inviter>(
      new Inviter(client, seed, *std::move(gap), context, *std::move(offsets)));
}

Inviter::Inviter(CalendarClient* client, uint64_t seed, NumberSampler gap,
                 const ProfileContext& context, NumberSampler offsets)
    // The legacy Inviter always takes offsets from the organizer's number.
    : InvitationLoop(client, seed, std::move(gap), context, std::move(offsets),
                     /*clumping=*/true) {}

void Inviter::SendInvitation(int64_t due_ns, std::function<void()> done) {
  // The client's events, calendars and events in random order (spec 4.4).
  std::vector<const CachedCalendar*> calendars = client_->CalendarsFor("VEVENT");
  auto candidates = std::make_shared<std::vector<std::string>>();
  for (const CachedCalendar* cal : calendars) {
    for (const auto& [href, item] : cal->items) {
      if (item.kind == ComponentKind::kEvent) candidates->push_back(href);
    }
  }
  for (size_t i = candidates->size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng_.UniformInt(0, static_cast<int64_t>(i)));
    std::swap((*candidates)[i - 1], (*candidates)[j]);
  }
  if (candidates->size() > static_cast<size_t>(kCandidates)) candidates->resize(kCandidates);
  std::reverse(candidates->begin(), candidates->end());  // TryCandidate pops from the back
  TryCandidate(std::move(candidates), due_ns, std::move(done));
}

void Inviter::TryCandidate(std::shared_ptr<std::vector<std::string>> candidates, int64_t due_ns,
                           std::function<void()> done) {
  if (candidates->empty()) return done();  // nothing to invite to: no operation
  std::string href = candidates->back();
  candidates->pop_back();
  std::weak_ptr<bool> alive = alive_token();
  client_->GetEvent(href, [this, alive, candidates, href, due_ns,
                           done](CalendarClient::FetchedItem& fetched) {
    if (alive.expired()) return;
    if (!fetched.ok) {
      RecordInvite(due_ns, false, fetched.reason);
      return done();
    }
    std::optional<CalendarUser> organizer = fetched.object->organizer();
    // Someone else's invitation: not ours to extend.
    if (organizer.has_value() && !SameAddress(organizer->address, client_->address())) {
      return TryCandidate(candidates, due_ns, done);
    }
    Invite(href, *std::move(fetched.object), fetched.etag, due_ns, done);
  });
}

void Inviter::Invite(const std::string& href, CalendarObject event, const std::string& etag,
                     int64_t due_ns, std::function<void()> done) {
  CalendarUser me = Self("ACCEPTED");
  std::vector<std::string> taken = {me.address};
  for (const CalendarUser& a : event.attendees()) taken.push_back(a.address);
  std::optional<size_t> index = picker_.Pick(rng_, taken);
  if (!index.has_value() || me.address.empty()) {
    // The original logged a successful "invite" without sending anything.
    RecordInvite(due_ns, false, "Cannot add attendee");
    return done();
  }
  const v1::DirectoryEntry& e = picker_.entry(*index);
  std::string address = absl::StrCat("mailto:", e.email());
  if (event.attendees().empty()) {
    CalendarUser organizer;
    organizer.address = me.address;
    organizer.cn = me.cn;
    absl::Status s = event.SetOrganizer(organizer);
    if (s.ok()) s = event.AddAttendee(me);
    if (!s.ok()) {
      RecordInvite(due_ns, false, std::string(s.message()));
      return done();
    }
  }
  absl::Status added = event.AddAttendee(Invitee(address, e.common_name()));
  if (!added.ok()) {
    RecordInvite(due_ns, false, std::string(added.message()));
    return done();
  }
  auto shared = std::make_shared<CalendarObject>(std::move(event));
  std::weak_ptr<bool> alive = alive_token();
  client_->LookUpAttendees(
      {address}, *shared, [this, alive, shared, href, etag, due_ns, done](bool, const std::string&) {
        if (alive.expired()) return;
        PutCondition condition =
            etag.empty() ? PutCondition::None() : PutCondition::IfMatch(etag);
        client_->UpdateOrganizer(
            href, *shared, condition,
            [this, alive, href, due_ns, done](bool ok, int status, const std::string& reason) {
              if (alive.expired()) return;
              if (ok && status == 412) {
                RecordInvite(due_ns, false, "HTTP 412 (the event changed meanwhile)");
                return done();
              }
              if (!ok) {
                RecordInvite(due_ns, false, reason);
                return done();
              }
              // As the original: re-read the event the server may have changed.
              client_->GetEvent(href, [this, alive, due_ns,
                                       done](CalendarClient::FetchedItem& fetched) {
                if (alive.expired()) return;
                RecordInvite(due_ns, fetched.ok, fetched.reason);
                done();
              });
            });
      });
}

// --- Accepter ---

absl::StatusOr<std::unique_ptr<Accepter>> Accepter::Create(const v1::AccepterParams& params,
                                                           CalendarClient* client,
                                                           uint64_t seed) {
  absl::StatusOr<NumberSampler> delay = NumberSampler::Create(params.accept_delay());
  if (!delay.ok()) return delay.status();
  return std::unique_ptr<Accepter>(new Accepter(client, seed, *std::move(delay)));
}

Accepter::Accepter(CalendarClient* client, uint64_t seed, NumberSampler delay)
    : Profile(client, /*interval_s=*/1, seed),
      delay_(std::move(delay)),
      accepter_alive_(std::make_shared<bool>(true)) {}

Accepter::~Accepter() {
  *accepter_alive_ = false;
  Accepter::Stop();
}

void Accepter::Start(int64_t stop_ns) {
  accepter_stopped_ = false;
  if (observer_ != 0) return;
  observer_ = client_->AddItemObserver(
      [this](const CalendarClient::ItemChange& change) { OnItem(change); });
}

void Accepter::Stop() {
  accepter_stopped_ = true;
  if (observer_ != 0) client_->RemoveItemObserver(observer_);
  observer_ = 0;
  deferred_.clear();
  // Scheduled work is dropped; work already running finishes and is recorded.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.timer != 0) {
      client_->loop()->CancelTimer(it->second.timer);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Accepter::NeedsAction(const CalendarObject& object) const {
  std::string me = client_->address();
  for (const CalendarUser& a : object.attendees()) {
    // The original matched only the EMAIL parameter, which DAViCal does not add.
    if (!SameAddress(a.address, me) && !SameAddress(a.email, me)) continue;
    return absl::EqualsIgnoreCase(a.partstat, kNeedsAction);
  }
  return false;
}

void Accepter::OnItem(const CalendarClient::ItemChange& change) {
  if (accepter_stopped_) return;
  auto it = pending_.find(change.href);
  if (change.calendar.inbox) {
    InboxMessage message{absl::AsciiStrToUpper(change.object.method()), change.object.uid(),
                         change.etag};
    if (it != pending_.end()) {
      if (it->second.etag == change.etag) return;  // the message being handled
      if (it->second.timer == 0) {
        // The work on the older message is running: this one waits for it (the older
        // message's DELETE is conditional and leaves this one in place).
        deferred_[change.href] = std::move(message);
        return;
      }
      client_->loop()->CancelTimer(it->second.timer);  // not started: the newer one replaces it
      pending_.erase(it);
    }
    OnInboxMessage(change.href, std::move(message));
    return;
  }
  if (it != pending_.end()) {
    // Already scheduled: keep the newest copy for the PUT.
    if (it->second.work == Work::kAccept && it->second.timer != 0) {
      it->second.object = change.object;
      it->second.etag = change.etag;
      it->second.schedule_tag = change.schedule_tag;
    }
    return;
  }
  if (!NeedsAction(change.object)) return;
  Pending p;
  p.work = Work::kAccept;
  p.uid = change.object.uid();
  p.object = change.object;
  p.etag = change.etag;
  p.schedule_tag = change.schedule_tag;
  Schedule(change.href, std::move(p), delay_.Sample(rng_));
}

void Accepter::OnInboxMessage(const std::string& href, InboxMessage message) {
  Pending p;
  p.uid = std::move(message.uid);
  p.etag = std::move(message.etag);
  if (message.method == "REPLY") {
    p.work = Work::kReplyDone;
    Schedule(href, std::move(p), 0);
  } else if (message.method == "CANCEL") {
    p.work = Work::kCancel;
    Schedule(href, std::move(p), delay_.Sample(rng_));
  } else if (message.method == "REQUEST" && !AcceptPending(p.uid) &&
             !FindByUid(p.uid, false).empty()) {
    // An update of an invitation whose copy is here and not waiting for an answer (the
    // server re-delivers one to every attendee when one of them replies): processed, so
    // it leaves the inbox. New invitations are answered through the calendar copy.
    p.work = Work::kDiscard;
    Schedule(href, std::move(p), 0);
  }
}

void Accepter::Schedule(const std::string& href, Pending pending, double delay_s) {
  int64_t due = client_->loop()->now_ns() + static_cast<int64_t>(std::max(0.0, delay_s) * 1e9);
  Pending& p = pending_[href] = std::move(pending);
  p.timer = client_->loop()->AddTimer(due, [this, href, due] {
    auto it = pending_.find(href);
    if (it == pending_.end()) return;
    it->second.timer = 0;
    RecordLag(client_, due);
    Run(href, due);
  });
}

void Accepter::Run(const std::string& href, int64_t due_ns) {
  if (pending_[href].work != Work::kDiscard) CountOperation();
  switch (pending_[href].work) {
    case Work::kAccept:
      return Accept(href, due_ns, 0);
    case Work::kReplyDone:
      return ReplyDone(href, due_ns);
    case Work::kCancel:
      return Cancel(href, due_ns);
    case Work::kDiscard: {
      std::weak_ptr<bool> alive = accepter_alive_;
      // No operation of its own: the DELETE{event} request is counted, failures included.
      client_->DeleteInboxItem(href, pending_[href].etag,
                               [this, alive, href](bool, const std::string&) {
                                 if (!alive.expired()) Done(href);
                               });
      return;
    }
  }
}

bool Accepter::AcceptPending(const std::string& uid) const {
  for (const auto& [href, p] : pending_) {
    if (p.work == Work::kAccept && p.uid == uid) return true;
  }
  return false;
}

void Accepter::Finish(const std::string& href, const char* label, int64_t due_ns, bool ok,
                      const std::string& reason) {
  client_->RecordOperation(label, NowNs(client_) - due_ns, ok, reason);
  Done(href);
}

void Accepter::Done(const std::string& href) {
  pending_.erase(href);
  auto next = deferred_.find(href);
  if (next == deferred_.end()) return;
  InboxMessage message = std::move(next->second);
  deferred_.erase(next);
  if (!accepter_stopped_) OnInboxMessage(href, std::move(message));
}

std::string Accepter::FindByUid(const std::string& uid, bool inbox, std::string* etag) const {
  if (uid.empty()) return "";
  for (const auto& [chref, cal] : client_->calendars()) {
    if (cal.inbox != inbox) continue;
    for (const auto& [href, item] : cal.items) {
      if (item.uid != uid) continue;
      if (etag != nullptr) *etag = item.etag;
      return href;
    }
  }
  return "";
}

void Accepter::Accept(const std::string& href, int64_t due_ns, int attempt) {
  Pending& p = pending_[href];
  if (!p.object.has_value() || !NeedsAction(*p.object)) {
    return Finish(href, "accept", due_ns, true, "");  // nothing (left) to accept
  }
  CalendarObject accepted = *p.object;
  absl::Status changed = accepted.SetAttendeePartstat(client_->address(), "ACCEPTED");
  if (!changed.ok()) return Finish(href, "accept", due_ns, false, std::string(changed.message()));
  PutCondition condition = !p.schedule_tag.empty() ? PutCondition::IfScheduleTagMatch(p.schedule_tag)
                           : !p.etag.empty()       ? PutCondition::IfMatch(p.etag)
                                                   : PutCondition::None();
  std::weak_ptr<bool> alive = accepter_alive_;
  client_->UpdateAttendee(href, accepted, condition, [this, alive, href, due_ns, attempt](
                                                         bool ok, int status,
                                                         const std::string& reason) {
    if (alive.expired()) return;
    if (!ok) return Finish(href, "accept", due_ns, false, reason);
    if (status == 412) {
      // Changed on the server since it was read: read it again and retry (bounded).
      if (attempt + 1 >= kMaxPreconditionRetries) {
        return Finish(href, "accept", due_ns, false, "HTTP 412 after every retry");
      }
      client_->GetEvent(href, [this, alive, href, due_ns,
                               attempt](CalendarClient::FetchedItem& fetched) {
        if (alive.expired()) return;
        if (!fetched.ok) return Finish(href, "accept", due_ns, false, fetched.reason);
        Pending& p = pending_[href];
        p.object = std::move(fetched.object);
        p.etag = fetched.etag;
        p.schedule_tag = fetched.schedule_tag;
        Accept(href, due_ns, attempt + 1);
      });
      return;
    }
    // As the original: re-read the event in the background (it refreshes the cache).
    client_->GetEvent(href, [](CalendarClient::FetchedItem&) {});
    std::string etag;
    std::string request = FindByUid(pending_[href].uid, /*inbox=*/true, &etag);
    if (request.empty()) return Finish(href, "accept", due_ns, true, "");
    client_->DeleteInboxItem(
        request, etag, [this, alive, href, due_ns](bool ok, const std::string& why) {
          if (alive.expired()) return;
          Finish(href, "accept", due_ns, ok, ok ? "" : absl::StrCat("inbox DELETE: ", why));
        });
  });
}

void Accepter::ReplyDone(const std::string& href, int64_t due_ns) {
  std::weak_ptr<bool> alive = accepter_alive_;
  client_->DeleteInboxItem(href, pending_[href].etag,
                           [this, alive, href, due_ns](bool ok, const std::string& why) {
                             if (alive.expired()) return;
                             Finish(href, "reply done", due_ns, ok, why);
                           });
}

void Accepter::Cancel(const std::string& href, int64_t due_ns) {
  std::string uid = pending_[href].uid;
  // An accept still waiting for the cancelled event is dropped.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.work == Work::kAccept && it->second.uid == uid && it->second.timer != 0) {
      client_->loop()->CancelTimer(it->second.timer);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::weak_ptr<bool> alive = accepter_alive_;
  client_->DeleteInboxItem(
      href, pending_[href].etag, [this, alive, href, uid, due_ns](bool ok, const std::string& why) {
        if (alive.expired()) return;
        if (!ok) return Finish(href, "cancelled", due_ns, false, why);
        std::string copy = FindByUid(uid, /*inbox=*/false);
        if (copy.empty()) return Finish(href, "cancelled", due_ns, true, "");
        // The server may have removed the attendee's copy itself (DAViCal does): 404 is fine.
        client_->DeleteEvent(copy,
                             [this, alive, href, due_ns](bool ok, const std::string& why) {
                               if (alive.expired()) return;
                               Finish(href, "cancelled", due_ns, ok,
                                      ok ? "" : absl::StrCat("copy DELETE: ", why));
                             },
                             {404});
      });
}

absl::StatusOr<std::unique_ptr<Profile>> CreateSchedulingProfile(const v1::ProfileSpec& spec,
                                                                 CalendarClient* client,
                                                                 uint64_t seed,
                                                                 const ProfileContext& context) {
  if (spec.has_accepter()) {
    absl::StatusOr<std::unique_ptr<Accepter>> p = Accepter::Create(spec.accepter(), client, seed);
    if (!p.ok()) return p.status();
    return std::unique_ptr<Profile>(*std::move(p));
  }
  if (context.directory == nullptr) return std::unique_ptr<Profile>();
  if (spec.has_realistic_inviter()) {
    absl::StatusOr<std::unique_ptr<RealisticInviter>> p =
        RealisticInviter::Create(spec.realistic_inviter(), client, seed, context);
    if (!p.ok()) return p.status();
    return std::unique_ptr<Profile>(*std::move(p));
  }
  if (spec.has_inviter()) {
    absl::StatusOr<std::unique_ptr<Inviter>> p =
        Inviter::Create(spec.inviter(), client, seed, context);
    if (!p.ok()) return p.status();
    return std::unique_ptr<Profile>(*std::move(p));
  }
  return std::unique_ptr<Profile>();
}

}  // namespace loadsim
