// Routes: where the API answers each table from (airpg.routes, the one
// owning module of that catalog table): airtable (proxied through the
// pacer), shadow (Airtable's answer served, Postgres's compared in the
// background) or postgres. RouteTable caches them for request threads and
// reads them again when the catalog's generation moves (catalog_watch.h), so
// `airpg route set` reaches every serve process within a second, or at most
// `refresh` later; a request in flight keeps the mode it started with, so a
// flip never fails it.
// Functions are thread-compatible; RouteTable is thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::api {

enum class RouteMode { kAirtable, kShadow, kPostgres };

std::string_view RouteModeName(RouteMode mode);
std::optional<RouteMode> ParseRouteMode(std::string_view name);

struct Route {
  std::string base_id;
  std::string table_id;
  RouteMode mode = RouteMode::kAirtable;
  std::string updated_at;  // as Postgres prints it
};

Status SetRoute(pg::Connection& conn, std::string_view base_id, std::string_view table_id,
                RouteMode mode);
// Every route set, of one base ("" = all), by base then table.
Result<std::vector<Route>> ListRoutes(pg::Connection& conn, std::string_view base_id);

class RouteTable {
 public:
  RouteTable(RouteMode default_mode, std::chrono::milliseconds refresh)
      : default_mode_(default_mode), refresh_(refresh) {}

  // The table's mode now; reads airpg.routes through `conn` when the cache is
  // older than `refresh` or was read at another catalog `generation` (read
  // before calling). A failed read keeps the last known routes.
  RouteMode ModeOf(pg::Connection& conn, const std::string& base_id, const std::string& table_id,
                   uint64_t generation);

 private:
  const RouteMode default_mode_;
  const std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, RouteMode> modes_;  // guarded by mu_
  std::chrono::steady_clock::time_point loaded_;                    // guarded by mu_
  uint64_t generation_ = 0;                                         // guarded by mu_
  bool ever_loaded_ = false;                                        // guarded by mu_
};

}  // namespace airpg::api
