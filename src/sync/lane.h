// Lanes: how urgently a table is kept current. A fast-lane table (users,
// anything people wait on) is polled every few seconds and its work goes to
// the pacer before everyone else's; a slow-lane table waits behind sweeps.
// Every Airtable request of the sync carries its lane's pacer priority, so
// the base's 5 requests/s go to the most urgent work first. Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "airtable/pacer.h"

namespace airpg::sync {

enum class Lane { kFast, kNormal, kSlow };

std::string_view LaneName(Lane lane);
std::optional<Lane> ParseLane(std::string_view name);

// The default safety-poll interval of a lane (fast 10 s, normal 60 s, slow 300 s).
std::chrono::milliseconds DefaultPollInterval(Lane lane);

// The pacer class of a lane's incremental work (webhook payloads and polls).
// Delete sweeps and schema refreshes are kBackfill whatever the lane.
airtable::Priority PollPriority(Lane lane);

}  // namespace airpg::sync
