#include "sync/lane.h"

namespace airpg::sync {

std::string_view LaneName(Lane lane) {
  switch (lane) {
    case Lane::kFast:
      return "fast";
    case Lane::kNormal:
      return "normal";
    case Lane::kSlow:
      return "slow";
  }
  return "normal";
}

std::optional<Lane> ParseLane(std::string_view name) {
  for (Lane lane : {Lane::kFast, Lane::kNormal, Lane::kSlow}) {
    if (LaneName(lane) == name) return lane;
  }
  return std::nullopt;
}

std::chrono::milliseconds DefaultPollInterval(Lane lane) {
  using std::chrono::seconds;
  switch (lane) {
    case Lane::kFast:
      return seconds(10);
    case Lane::kNormal:
      return seconds(60);
    case Lane::kSlow:
      return seconds(300);
  }
  return seconds(60);
}

airtable::Priority PollPriority(Lane lane) {
  // The slow lane's polls queue behind backfill work; the other two are
  // incremental, and within a class the pacer serves in arrival order.
  return lane == Lane::kSlow ? airtable::Priority::kBackfill : airtable::Priority::kIncremental;
}

}  // namespace airpg::sync
