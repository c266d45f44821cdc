#include "sync/base_syncer.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/json_escape.h"
#include "base/log.h"
#include "pg/view_snapshots.h"
#include "sync/dead_letter_replay.h"
#include "sync/sync_events.h"
#include "sync/view_refresh.h"

namespace airpg::sync {

BaseSyncer::BaseSyncer(airtable::Client& client, pg::Connection& conn, LiveBase base,
                       blobs::AttachmentSource attachments, SyncerOptions options)
    : client_(client),
      conn_(conn),
      base_(std::move(base)),
      applier_(base_, std::move(attachments)),
      options_(std::move(options)) {}

void BaseSyncer::NotifyPing(Clock::time_point received) {
  int64_t ticks = received.time_since_epoch().count();
  int64_t none = 0;
  ping_at_.compare_exchange_strong(none, ticks);  // keep the oldest: lag is measured from it
}

void BaseSyncer::CatchUpNow() {
  next_poll_.clear();
  next_sweep_.clear();
}

Lane BaseSyncer::LaneOf(const std::string& table_id) const {
  auto it = options_.lanes.find(table_id);
  return it == options_.lanes.end() ? Lane::kNormal : it->second;
}

std::chrono::milliseconds BaseSyncer::PollInterval(const std::string& table_id) const {
  auto it = options_.poll_intervals.find(table_id);
  return it == options_.poll_intervals.end() ? DefaultPollInterval(LaneOf(table_id)) : it->second;
}

void BaseSyncer::Fail(StepReport& report, const std::string& table_id, const Status& status) {
  // A stop asked for (SIGTERM) cancels what waits for the pacer: the work
  // rolled back and is done at the next start, so it is no error.
  if (status.code() == StatusCode::kCancelled) {
    log::Debug("sync of {}{}{}: {}", base_.base_id, table_id.empty() ? "" : " table ", table_id,
               status.ToString());
    return;
  }
  ++report.errors;
  log::Warn("sync of {}{}{}: {}", base_.base_id, table_id.empty() ? "" : " table ", table_id,
            status.ToString());
  // The event is best effort: Postgres may be the thing that failed.
  (void)RecordEvent(conn_, {base_.base_id, table_id, "error", 0, 0, std::nullopt,
                            fmt::format(R"({{"error":"{}"}})", JsonEscape(status.ToString()))});
}

void BaseSyncer::ReadPayloads(Clock::time_point now, StepReport& report, bool only_if_pinged) {
  int64_t ping = ping_at_.load();
  if (!options_.webhooks || (ping == 0 && (only_if_pinged || now < next_payload_))) return;
  ping_at_.store(0);
  PayloadCycleOptions cycle;
  Result<PayloadCycleResult> done = RunPayloadCycle(client_, conn_, applier_, base_, cycle);
  if (done.ok() && done->needs_schema_refresh) {
    Result<std::vector<std::string>> refreshed =
        options_.refresh_schema ? options_.refresh_schema(base_) : std::vector<std::string>{};
    if (!refreshed.ok()) {
      Fail(report, "", refreshed.status());
    } else {
      for (const auto& table_id : *refreshed) next_poll_[table_id] = {};  // due at once
      cycle.schema_read_after = done->listed_to;
      done = RunPayloadCycle(client_, conn_, applier_, base_, cycle);
    }
  }
  if (done.ok()) {
    std::vector<std::string> touched(done->tables.begin(), done->tables.end());
    Status marked = pg::MarkViewsStale(conn_, base_.base_id, touched);
    if (!marked.ok()) Fail(report, "", marked);
    views_stale_ = views_stale_ || !touched.empty();
    report.payloads += done->payloads;
    report.changed += done->applied.changed;
    report.tombstoned += done->applied.tombstoned;
    report.requests += done->requests;
    if (done->more) ping_at_.store(now.time_since_epoch().count());  // go on at once
    if (ping != 0 && done->payloads > 0) {
      double lag = std::chrono::duration<double, std::milli>(
                       Clock::now() - Clock::time_point(Clock::duration(ping)))
                       .count();
      for (const auto& table : done->tables) {
        report.lag_ms[table] = lag;
        (void)RecordEvent(conn_, {base_.base_id, table, "ping_lag", 0, 0, lag, ""});
      }
    }
  } else {
    Fail(report, "", done.status());
  }
  next_payload_ = now + options_.payload_interval;
}

namespace {

// When the k-th of n tables that fell due together comes back: sooner the
// later it went, so the n spread evenly over one interval.
std::chrono::milliseconds Spread(std::chrono::milliseconds interval, size_t k, size_t n) {
  return interval - interval * static_cast<int64_t>(k) / static_cast<int64_t>(n);
}

}  // namespace

StepReport BaseSyncer::Step(Clock::time_point now) {
  StepReport report;
  // 1. Webhook payloads: after a ping at once, else on the fallback interval.
  // A ping that arrives later in the step is read before the next poll,
  // retry or sweep: one base's work is one thread, and a round of polls or
  // sweeps takes seconds at 5 requests/s.
  ReadPayloads(now, report, /*only_if_pinged=*/false);
  auto pings_first = [&] { ReadPayloads(now, report, /*only_if_pinged=*/true); };
  // The tables by id: a payload read between them may reload base_.plan.
  std::vector<std::string> table_ids;
  for (const auto& table : base_.plan.tables) table_ids.push_back(table.table_id);
  // 2. Safety polls, fast lane first. Tables that fall due together (the
  // first round, a catch-up) are spread over their interval by coming back
  // sooner — the k-th of n after interval × (n − k) ÷ n, never later than one
  // interval — so later rounds are one table at a time and never take the
  // base's whole 5 requests/s away from the pings.
  for (Lane lane : {Lane::kFast, Lane::kNormal, Lane::kSlow}) {
    std::vector<std::string> due;
    for (const auto& table_id : table_ids) {
      if (LaneOf(table_id) == lane && now >= next_poll_[table_id]) due.push_back(table_id);
    }
    for (size_t k = 0; k < due.size(); ++k) {
      const std::string& table_id = due[k];
      next_poll_[table_id] = now + Spread(PollInterval(table_id), k, due.size());
      pings_first();
      if (base_.plan.FindTable(table_id) == nullptr) continue;
      PollOptions poll = options_.poll;
      poll.priority = PollPriority(lane);
      auto polled = PollTable(client_, conn_, applier_, base_, table_id, poll);
      // Cells of a field the schema sync has not seen: the schema first, then
      // the full read it asks for carries them (their letters close).
      if (polled.ok() && polled->applied.unknown_field_cells > 0 && options_.refresh_schema) {
        auto refreshed = options_.refresh_schema(base_);
        if (!refreshed.ok()) Fail(report, table_id, refreshed.status());
        for (const auto& id : refreshed.ok() ? *refreshed : std::vector<std::string>{})
          next_poll_[id] = {};
      }
      if (polled.ok() && polled->applied.changed + polled->applied.tombstoned > 0) {
        Status marked = pg::MarkViewsStale(conn_, base_.base_id, {table_id});
        if (!marked.ok()) Fail(report, table_id, marked);
        views_stale_ = true;
      }
      if (polled.ok()) {
        report.polled += polled->read;
        report.changed += polled->applied.changed;
        report.requests += polled->requests;
      } else {
        Fail(report, table_id, polled.status());
      }
    }
  }
  // 3. Links waiting for their target.
  if (now >= next_retry_) {
    pings_first();
    auto retried = RetryDeadLetters(client_, conn_, applier_, base_);
    if (retried.ok()) {
      report.requests += retried->requests;
    } else {
      Fail(report, "", retried.status());
    }
    next_retry_ = now + options_.retry_interval;
  }
  // 4. Delete sweeps (backfill priority: they wait behind everything else).
  std::vector<std::string> sweeps;
  for (const auto& table_id : table_ids) {
    if (now >= next_sweep_[table_id]) sweeps.push_back(table_id);
  }
  for (size_t k = 0; k < sweeps.size(); ++k) {
    const std::string& table_id = sweeps[k];
    next_sweep_[table_id] = now + Spread(options_.sweep_interval, k, sweeps.size());
    pings_first();
    if (base_.plan.FindTable(table_id) == nullptr) continue;
    auto swept = SweepTable(client_, conn_, applier_, base_, table_id, options_.sweep);
    if (swept.ok()) {
      report.tombstoned += swept->applied.tombstoned;
      report.requests += swept->requests;
    } else {
      Fail(report, table_id, swept.status());
    }
  }
  // 5. The views of tables a change reached, at most every view_refresh and
  // at the lowest priority: a table of n views costs n listings or more. The
  // first turn is one interval after the start, so a sync restarted often
  // does not read every view at each start.
  if (next_view_refresh_ == Clock::time_point{}) next_view_refresh_ = now + options_.view_refresh;
  if (views_stale_ && now >= next_view_refresh_) {
    next_view_refresh_ = now + options_.view_refresh;
    views_stale_ = false;  // a payload read during the refresh may mark again
    auto refreshed = RefreshStaleViews(client_, conn_, base_.base_id, pings_first);
    if (!refreshed.ok()) {
      views_stale_ = true;
      Fail(report, "", refreshed.status());
    }
  }
  // When to come back: the earliest due step.
  Clock::time_point next = options_.webhooks ? next_payload_ : next_retry_;
  next = std::min(next, next_retry_);
  if (views_stale_) next = std::min(next, next_view_refresh_);
  for (const auto& [_, due] : next_poll_) next = std::min(next, due);
  for (const auto& [_, due] : next_sweep_) next = std::min(next, due);
  report.next_due = next;
  return report;
}

}  // namespace airpg::sync
