// History retention: the sync's own records of what happened — every ping in
// airpg.inbox, every step in airpg.sync_events — grow with every ping and
// step a daemon runs, for months. PruneHistory deletes rows older than their
// keep time; nothing the sync needs to be correct lives there (cursors,
// watermarks and dead letters are elsewhere and are never pruned), and
// `airpg status` reads the last 24 hours only. Single-thread per Connection.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::daemon {

struct HistoryRetention {
  std::chrono::hours inbox{24 * 7};    // pings, kept a week to investigate forged or bad ones
  std::chrono::hours events{24 * 30};  // steps, lags and errors, kept a month
};

struct Pruned {
  int64_t pings = 0;
  int64_t events = 0;
};

Result<Pruned> PruneHistory(pg::Connection& conn, const HistoryRetention& retention = {});

}  // namespace airpg::daemon
