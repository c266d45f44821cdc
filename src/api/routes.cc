#include "api/routes.h"

namespace airpg::api {

std::string_view RouteModeName(RouteMode mode) {
  switch (mode) {
    case RouteMode::kAirtable:
      return "airtable";
    case RouteMode::kShadow:
      return "shadow";
    case RouteMode::kPostgres:
      return "postgres";
  }
  return "airtable";
}

std::optional<RouteMode> ParseRouteMode(std::string_view name) {
  for (RouteMode mode : {RouteMode::kAirtable, RouteMode::kShadow, RouteMode::kPostgres}) {
    if (RouteModeName(mode) == name) return mode;
  }
  return std::nullopt;
}

Status SetRoute(pg::Connection& conn, std::string_view base_id, std::string_view table_id,
                RouteMode mode) {
  return conn.Run(
      "INSERT INTO airpg.routes (base_id, table_id, mode) VALUES ($1, $2, $3) "
      "ON CONFLICT (base_id, table_id) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now()",
      {std::string(base_id), std::string(table_id), std::string(RouteModeName(mode))});
}

Result<std::vector<Route>> ListRoutes(pg::Connection& conn, std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT base_id, table_id, mode, to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS') "
                "FROM airpg.routes WHERE $1 = '' OR base_id = $1 ORDER BY base_id, table_id",
                {std::string(base_id)}));
  std::vector<Route> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)),
                   ParseRouteMode(rows.Get(i, 2)).value_or(RouteMode::kAirtable),
                   std::string(rows.Get(i, 3))});
  }
  return out;
}

RouteMode RouteTable::ModeOf(pg::Connection& conn, const std::string& base_id,
                             const std::string& table_id, uint64_t generation) {
  auto now = std::chrono::steady_clock::now();
  bool stale;
  {
    std::lock_guard lock(mu_);
    stale = !ever_loaded_ || generation != generation_ || now - loaded_ >= refresh_;
  }
  if (stale) {
    Result<std::vector<Route>> routes = ListRoutes(conn, "");
    if (routes.ok()) {
      std::map<std::pair<std::string, std::string>, RouteMode> modes;
      for (const Route& r : *routes) modes[{r.base_id, r.table_id}] = r.mode;
      std::lock_guard lock(mu_);
      modes_ = std::move(modes);
      loaded_ = now;
      generation_ = generation;
      ever_loaded_ = true;
    }
  }
  std::lock_guard lock(mu_);
  auto it = modes_.find({base_id, table_id});
  return it == modes_.end() ? default_mode_ : it->second;
}

}  // namespace airpg::api
