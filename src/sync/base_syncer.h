// BaseSyncer: keeps one base's live schema current — the scheduler of the
// sources. Each Step runs what is due, most urgent first: the webhook
// payload cycle (at once after a ping, else every payload_interval in case
// pings are lost), the safety polls of fast-lane tables, then normal and slow
// ones (each at its lane's interval), the retry of dead letters waiting for a
// link target, the delete sweeps, and the refresh of stale view snapshots
// (view_refresh.h). Every Airtable request carries its lane's pacer
// priority; within one step's thread that orders nothing, but against other
// work of the process on the same pacer (attachment downloads, other bases'
// jobs) the sync's urgent requests go first. A ping that arrives during a
// step is read before the step's next poll,
// retry or sweep, so it waits for one of them at most, never a whole round
// (a single sweep of a large table can still hold it: ⌈records ÷ 100⌉
// requests). A failed step is logged as an error event and retried at its
// next turn; the other steps go on. Step is single-thread; NotifyPing is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/delete_sweep.h"
#include "sync/lane.h"
#include "sync/payload_cycle.h"
#include "sync/record_applier.h"
#include "sync/safety_poll.h"

namespace airpg::sync {

using Clock = std::chrono::steady_clock;

struct SyncerOptions {
  std::chrono::milliseconds payload_interval{5000};
  std::chrono::milliseconds sweep_interval{std::chrono::minutes(10)};
  std::chrono::milliseconds retry_interval{std::chrono::minutes(1)};
  std::map<std::string, Lane> lanes;  // table id → lane (default normal)
  std::map<std::string, std::chrono::milliseconds> poll_intervals;  // overrides the lane's
  PollOptions poll;
  SweepOptions sweep;
  bool webhooks = true;  // false: polls and sweeps only
  // The views of tables a change reached are read again at most this often
  // (sync.view_refresh; view_refresh.h).
  std::chrono::milliseconds view_refresh{std::chrono::seconds(60)};
  // Brings the live schema (and base.plan) up to date when payloads change
  // fields and returns the tables owed a full read (polled at once);
  // empty: such payloads are applied with the plan as it is.
  std::function<Result<std::vector<std::string>>(LiveBase&)> refresh_schema;
};

struct StepReport {
  int64_t payloads = 0;
  int64_t polled = 0;   // records read by polls
  int64_t changed = 0;  // rows inserted or changed
  int64_t tombstoned = 0;
  int64_t requests = 0;
  int errors = 0;
  // Ping → commit lag of the changes a ping brought in, per table id.
  std::map<std::string, double> lag_ms;
  Clock::time_point next_due;
};

class BaseSyncer {
 public:
  BaseSyncer(airtable::Client& client, pg::Connection& conn, LiveBase base,
             blobs::AttachmentSource attachments, SyncerOptions options);

  // A ping arrived for this base (the receiver's callback).
  void NotifyPing(Clock::time_point received);

  // Runs every step due at `now`.
  StepReport Step(Clock::time_point now);

  // The webhook was replaced, so the payloads made before the new one are
  // lost: the safety polls and delete sweeps of every table run at the next
  // Step instead of at their turn (webhook_keeper.h).
  void CatchUpNow();

  const LiveBase& base() const { return base_; }

 private:
  void Fail(StepReport& report, const std::string& table_id, const Status& status);
  // The payload cycle, when a ping waits or (unless only_if_pinged) the
  // fallback interval is up; a schema refresh it needs comes first.
  void ReadPayloads(Clock::time_point now, StepReport& report, bool only_if_pinged);
  Lane LaneOf(const std::string& table_id) const;
  std::chrono::milliseconds PollInterval(const std::string& table_id) const;

  airtable::Client& client_;
  pg::Connection& conn_;
  LiveBase base_;
  RecordApplier applier_;
  SyncerOptions options_;
  std::atomic<int64_t> ping_at_{0};  // steady_clock ticks of the oldest unhandled ping; 0: none
  Clock::time_point next_payload_{};
  Clock::time_point next_retry_{};
  Clock::time_point next_view_refresh_{};
  // A stale mark may wait in airpg.view_snapshots (true at start: one may
  // have been left by an earlier process).
  bool views_stale_ = true;
  std::map<std::string, Clock::time_point> next_poll_, next_sweep_;
};

}  // namespace airpg::sync
