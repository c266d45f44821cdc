#include "cli/cmd_conflicts.h"

#include <iostream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/airtable_access.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "sync/conflicts.h"

namespace airpg::cli {
namespace {

using nlohmann::json;

// A stored JSON value as JSON (it is valid: Postgres kept it as jsonb).
json Value(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::parse(*text, nullptr, /*allow_exceptions=*/false);
}

json ConflictJson(const sync::Conflict& c) {
  return json{{"id", c.id},
              {"base_id", c.base_id},
              {"table_id", c.table_id},
              {"record_id", c.record_id},
              {"field_id", c.field_id},
              {"rule", c.rule},
              {"status", c.status},
              {"base_value", Value(c.base_value)},
              {"airtable_value", Value(c.airtable_value)},
              {"postgres_value", Value(c.postgres_value)},
              {"airtable_modified_at", c.airtable_modified_at},
              {"postgres_committed_at", c.postgres_committed_at},
              {"resolution", c.resolution ? json(*c.resolution) : json(nullptr)},
              {"resolved_value", Value(c.resolved_value)},
              {"created_at", c.created_at},
              {"resolved_at", c.resolved_at},
              {"applied_at", c.applied_at}};
}

// An id that does not exist is bad input (exit 2), as with dead letters.
Status IdGiven(const Status& status) {
  if (status.code() != StatusCode::kNotFound) return status;
  return InvalidArgumentError(status.message());
}

}  // namespace

int RunConflicts(const Config& config, const ConflictsOptions& options) {
  if (!options.status.empty() && options.status != "open" && options.status != "resolved") {
    return Fail(InvalidArgumentError(
        fmt::format("--status {}: not a conflict status (open, resolved)", options.status)));
  }
  sync::Take take = sync::Take::kValue;
  if (options.action == "resolve") {
    if (options.value_given == !options.take.empty()) {
      return Fail(InvalidArgumentError(
          "conflicts resolve needs exactly one of --take airtable|postgres or --value JSON"));
    }
    if (options.take == "airtable") {
      take = sync::Take::kAirtable;
    } else if (options.take == "postgres") {
      take = sync::Take::kPostgres;
    } else if (!options.take.empty()) {
      return Fail(InvalidArgumentError(
          fmt::format("--take {}: not a side (airtable, postgres)", options.take)));
    } else if (!json::accept(options.value)) {
      return Fail(InvalidArgumentError("--value is not valid JSON"));
    }
  }
  Result<OpenDatabase> db = OpenDatabaseFor(config);
  if (!db.ok()) return Fail(db.status());

  if (options.action == "list") {
    auto conflicts = sync::ListConflicts(db->conn, options.status);
    if (!conflicts.ok()) return Fail(conflicts.status());
    if (options.json) {
      json out = json::array();
      for (const auto& c : *conflicts) out.push_back(ConflictJson(c));
      std::cout << out.dump(2) << "\n";
    } else if (conflicts->empty()) {
      std::cout << "no conflicts\n";
    } else {
      for (const auto& c : *conflicts) {
        std::cout << fmt::format("{:>6} {:<8} {} {} {}  airtable={} postgres={}\n", c.id, c.status,
                                 c.table_id, c.record_id, c.field_id, c.airtable_value,
                                 c.postgres_value);
      }
    }
    return kExitOk;
  }
  if (options.action == "show") {
    auto c = sync::GetConflict(db->conn, options.id);
    if (!c.ok()) return Fail(IdGiven(c.status()));
    std::cout << ConflictJson(*c).dump(2) << "\n";
    return kExitOk;
  }
  auto resolved = sync::ResolveConflict(db->conn, options.id, take, options.value);
  if (!resolved.ok()) return Fail(IdGiven(resolved.status()));
  if (options.json) {
    std::cout << ConflictJson(*resolved).dump(2) << "\n";
  } else {
    std::cout << fmt::format("conflict {} resolved: {} keeps {}; the sync applies it\n",
                             resolved->id, resolved->field_id, *resolved->resolved_value);
  }
  return kExitOk;
}

}  // namespace airpg::cli
