#include "sync/authority.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "mapping/write_capture.h"
#include "pg/transaction.h"

namespace airpg::sync {
namespace {

const mapping::TablePlan* FindTable(const LiveBase& base, std::string_view key) {
  for (const auto& t : base.plan.tables) {
    if (t.table_id == key || t.airtable_name == key || t.table_name == key) return &t;
  }
  return nullptr;
}

const mapping::FieldPlan* FindField(const mapping::TablePlan& table, std::string_view key) {
  for (const auto& f : table.fields) {
    if (f.field.id == key || f.field.name == key || f.column_name == key) return &f;
  }
  return nullptr;
}

// The rows of `tables` not stored yet (a catalogued table only).
Status InsertRows(pg::Transaction& tx, const LiveBase& base,
                  const std::map<std::string, TableAuthority>& tables) {
  for (const auto& [table_id, t] : tables) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [field_id, a] : t.fields) fields[field_id] = std::string(AuthorityName(a));
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.sync_authority (table_id, base_id, authority, conflict, fields) "
               "SELECT $1, $2, $3, $4, $5::jsonb WHERE EXISTS (SELECT 1 FROM airpg.tables WHERE "
               "table_id = $1) ON CONFLICT (table_id) DO NOTHING",
               {table_id, base.base_id, std::string(AuthorityName(t.authority)),
                std::string(ConflictRuleName(t.conflict)), fields.dump()}));
  }
  return Status::Ok();
}

}  // namespace

bool TableAuthority::PostgresWrites() const {
  if (authority != Authority::kAirtable) return true;
  for (const auto& [field_id, a] : fields) {
    if (a != Authority::kAirtable) return true;
  }
  return false;
}

Authority TableAuthority::Of(std::string_view field_id) const {
  auto it = fields.find(std::string(field_id));
  return it == fields.end() ? authority : it->second;
}

Result<std::map<std::string, TableAuthority>> ResolveAuthority(const LiveBase& base,
                                                               const AuthorityConfig& config) {
  std::map<std::string, TableAuthority> out;
  for (const auto& t : base.plan.tables) {
    out[t.table_id] = {t.table_id, config.authority, config.conflict, {}};
  }
  for (const auto& [key, settings] : config.tables) {
    const mapping::TablePlan* table = FindTable(base, key);
    // sync.tables also carries lanes and poll intervals: only authority
    // settings must name a mirrored table.
    if (table == nullptr) {
      if (!settings.authority && !settings.conflict && settings.fields.empty()) continue;
      return InvalidArgumentError(fmt::format(
          "sync.tables.{}: base {} has no mirrored table of that name or id", key, base.base_id));
    }
    TableAuthority& resolved = out[table->table_id];
    if (settings.authority) resolved.authority = *settings.authority;
    if (settings.conflict) resolved.conflict = *settings.conflict;
    for (const auto& [field_key, authority] : settings.fields) {
      const mapping::FieldPlan* field = FindField(*table, field_key);
      if (field == nullptr) {
        return InvalidArgumentError(
            fmt::format("sync.tables.{}.fields.{}: table {} has no such field", key, field_key,
                        table->airtable_name));
      }
      resolved.fields[field->field.id] = authority;
    }
  }
  return out;
}

Status StoreAuthority(pg::Connection& conn, const LiveBase& base,
                      const std::map<std::string, TableAuthority>& tables) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("DELETE FROM airpg.sync_authority WHERE base_id = $1", {base.base_id}));
  AIRPG_RETURN_IF_ERROR(InsertRows(tx, base, tables));
  return tx.Commit();
}

Result<std::map<std::string, TableAuthority>> LoadAuthority(pg::Connection& conn,
                                                            std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT t.table_id, coalesce(a.authority, 'airtable'), coalesce(a.conflict, "
                "'latest'), coalesce(a.fields, '{}')::text FROM airpg.tables t LEFT JOIN "
                "airpg.sync_authority a USING (table_id) WHERE t.base_id = $1",
                {std::string(base_id)}));
  std::map<std::string, TableAuthority> out;
  for (int i = 0; i < rows.size(); ++i) {
    TableAuthority t;
    t.table_id = rows.Get(i, 0);
    t.authority = ParseAuthority(rows.Get(i, 1)).value_or(Authority::kAirtable);
    t.conflict = ParseConflictRule(rows.Get(i, 2)).value_or(ConflictRule::kLatest);
    nlohmann::json fields = nlohmann::json::parse(rows.Get(i, 3), nullptr, false);
    if (fields.is_object()) {
      for (const auto& [field_id, a] : fields.items()) {
        if (a.is_string()) {
          t.fields[field_id] = ParseAuthority(a.get<std::string>()).value_or(Authority::kAirtable);
        }
      }
    }
    out[t.table_id] = std::move(t);
  }
  return out;
}

namespace {

Status InstallWriteTriggersOnce(pg::Connection& conn, const LiveBase& base) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  // Bounded like every DDL on a live schema: an application's long
  // transaction makes the sync start fail and retry, not hang.
  AIRPG_RETURN_IF_ERROR(tx.Run("SELECT set_config('lock_timeout', '5000ms', true)"));
  const std::string sql = "SELECT airpg.install_write_triggers($1, $2, $3, $4, $5)";
  for (const mapping::CaptureTarget& c : mapping::CaptureTargets(base.plan)) {
    AIRPG_RETURN_IF_ERROR(
        tx.Run(sql, {base.schema, c.relation, base.base_id, c.table_id, c.field_id}));
  }
  return tx.Commit();
}

}  // namespace

Status InstallWriteTriggers(pg::Connection& conn, const LiveBase& base) {
  // Other DDL on the live tables (serve building a sort index CONCURRENTLY,
  // an application's migration) can deadlock with the install; Postgres then
  // aborts one side. The install is one transaction, rolled back whole, so
  // it is simply run again: the other side has its locks by then.
  constexpr int kAttempts = 5;
  Status installed = InstallWriteTriggersOnce(conn, base);
  for (int attempt = 1; installed.code() == StatusCode::kAborted && attempt < kAttempts;
       ++attempt) {
    log::Warn("base {}: installing the write triggers: {}; trying again", base.base_id,
              installed.ToString());
    installed = InstallWriteTriggersOnce(conn, base);
  }
  return installed;
}

Status AdoptNewTables(pg::Connection& conn, const LiveBase& base, const AuthorityConfig& config) {
  // A base no sync has started on has no matrix yet: its start stores it.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows stored,
      conn.Exec("SELECT 1 FROM airpg.sync_authority WHERE base_id = $1 LIMIT 1", {base.base_id}));
  if (stored.empty()) return Status::Ok();
  // The settings were checked at start: a table or field renamed or removed
  // in Airtable since must not stop the sync here (its stored row stays).
  AuthorityConfig current = config;
  current.tables.clear();
  for (const auto& [key, settings] : config.tables) {
    const mapping::TablePlan* table = FindTable(base, key);
    if (table == nullptr) continue;
    TableAuthorityConfig& kept = current.tables[key];
    kept.authority = settings.authority;
    kept.conflict = settings.conflict;
    for (const auto& [field_key, authority] : settings.fields) {
      if (FindField(*table, field_key) != nullptr) kept.fields[field_key] = authority;
    }
  }
  AIRPG_ASSIGN_OR_RETURN(auto tables, ResolveAuthority(base, current));
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  AIRPG_RETURN_IF_ERROR(InsertRows(tx, base, tables));  // rows there already are kept
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return InstallWriteTriggers(conn, base);
}

}  // namespace airpg::sync
