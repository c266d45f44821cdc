// airpg.conflicts and airpg.field_sync_state (catalog_v4.sql): the only code
// that reads or writes them. field_sync_state keeps, per record and field,
// the last value both sides agreed on — the base of the three-way decision
// of conflict_rules.h. A field both sides changed differently is recorded as
// a conflict with the base and both values; under the rule `manual` it stays
// 'open' until `airpg conflicts resolve`, which picks the winning value; the
// sync applies it to the losing side and marks it applied.
// Every function runs on the caller's Connection (or transaction);
// single-thread per Connection.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"
#include "pg/transaction.h"
#include "sync/conflict_rules.h"

namespace airpg::sync {

// One field of one record as both sides have it now. Values are canonical
// JSON text of the cell, as Airtable renders it with returnFieldsByFieldId
// ("null" for an empty cell).
struct FieldChange {
  std::string base_id;
  std::string table_id;
  std::string record_id;
  std::string field_id;
  std::string airtable_value;
  std::string postgres_value;
  SyncTime airtable_modified{};
  SyncTime postgres_committed{};
  // Whose change met the other: "airtable" at the inbound apply, "postgres"
  // at the outbound re-read (the audit log's origin of the conflict).
  std::string origin = "airtable";
};

// The resolver the outbound dispatch and the inbound apply call for a field
// that changed on either side (one clear entry point, issue 16).
//
// In `tx`: reads the field's base from airpg.field_sync_state, decides with
// DecideField, and then
//   - kNone: records the agreed value as the new base;
//   - kPark: opens (or refreshes) the field's conflict in airpg.conflicts;
//   - a conflict of any action: a 'conflict' row in airpg.sync_events and in
//     the audit log (audit_trail.h, with the change's origin), and a
//     resolved row in airpg.conflicts naming the rule and the winner, so the
//     history shows what was overwritten.
// The caller writes the winning value to the losing side (kToPostgres:
// Airtable's value into the row; kToAirtable: Postgres's value through the
// outbox) and, once that write is done, calls RecordSynced with it.
Result<FieldDecision> ResolveFieldChange(pg::Transaction& tx, const FieldChange& change,
                                         const FieldPolicy& policy);

// Records `value_json` as the last value synced for the field (both sides
// now hold it).
Status RecordSynced(pg::Connection& conn, const std::string& base_id, const std::string& table_id,
                    const std::string& record_id, const std::string& field_id,
                    const std::string& value_json);

// Records `value_json` as the field's base only when none is recorded yet (a
// field not synced since the migration: the value both sides then held).
Status SeedSynced(pg::Connection& conn, const std::string& base_id, const std::string& table_id,
                  const std::string& record_id, const std::string& field_id,
                  const std::string& value_json);

// The last value synced for the field; nullopt when it never was.
Result<std::optional<std::string>> LastSynced(pg::Connection& conn, const std::string& table_id,
                                              const std::string& record_id,
                                              const std::string& field_id);

// A row of airpg.conflicts. Times are ISO 8601 text, "" when unset.
struct Conflict {
  int64_t id = 0;
  std::string base_id, table_id, record_id, field_id, rule;
  std::optional<std::string> base_value;  // JSON; nullopt: never synced
  std::string airtable_value, postgres_value;
  std::string airtable_modified_at, postgres_committed_at;
  std::string status;                         // open | resolved
  std::optional<std::string> resolution;      // airtable | postgres | value
  std::optional<std::string> resolved_value;  // JSON
  std::string created_at, resolved_at, applied_at;
};

// Conflicts, newest first; `status` "" lists every status.
Result<std::vector<Conflict>> ListConflicts(pg::Connection& conn, const std::string& status = "",
                                            int limit = 100);

// Open conflicts per table id of the base (`airpg status`: "conflicts open").
Result<std::map<std::string, int64_t>> OpenConflictsByTable(pg::Connection& conn,
                                                            const std::string& base_id);

// kNotFound when there is no conflict `id`.
Result<Conflict> GetConflict(pg::Connection& conn, int64_t id);

enum class Take { kAirtable, kPostgres, kValue };

// Resolves open conflict `id`: the winning value is Airtable's, Postgres's,
// or `value_json` (REQUIRES: valid JSON when take is kValue; the CLI checks).
// Writes a 'conflict_resolved' sync event and a RESOLVE audit entry (origin:
// the winning side; a value of the operator's counts as postgres). kNotFound for no such conflict,
// kFailedPrecondition when it is already resolved.
Result<Conflict> ResolveConflict(pg::Connection& conn, int64_t id, Take take,
                                 const std::string& value_json = "");

// Resolved conflicts of the base whose value has not reached the losing side
// yet, oldest first (the sync applies them, then calls MarkApplied).
Result<std::vector<Conflict>> UnappliedResolutions(pg::Connection& conn,
                                                   const std::string& base_id);

// Marks a resolution applied and records its value as the field's base.
Status MarkApplied(pg::Connection& conn, int64_t id);
// The same in the caller's transaction (with the write that applied it).
Status MarkApplied(pg::Transaction& tx, int64_t id);

// How the newest clash of the field between exactly these two values (JSON)
// ended: "open" (parked), or the resolution ("airtable" | "postgres" |
// "value"); nullopt when no conflict recorded them. The inbound apply and
// the outbound re-read may both meet one clash: it is decided once.
Result<std::optional<std::string>> DecidedClash(pg::Connection& conn, const std::string& table_id,
                                                const std::string& record_id,
                                                const std::string& field_id,
                                                const std::string& airtable_value,
                                                const std::string& postgres_value);

// The fields of `cells_json` (a JSON object: field id → the cell Postgres
// would send) that the outbound dispatch holds back for the record: those
// parked in an open conflict (sent once resolved), and, with `hold_in_sync`
// (authority both), those whose value is already the last value synced
// (Airtable holds it, or Airtable changed it since and its value is on the
// way to Postgres: the three-way rule with only Airtable changed). Under
// authority postgres such a value is sent: it overwrites Airtable's edit.
Result<std::set<std::string>> FieldsHeldBack(pg::Connection& conn, const std::string& table_id,
                                             const std::string& record_id,
                                             const std::string& cells_json, bool hold_in_sync);

}  // namespace airpg::sync
