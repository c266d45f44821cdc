// Conflict rules: the pure decision of two-way sync for one field of one
// record, three-way against the last value synced for that field (the base).
// A side "changed" when its value differs from the base; one side changed →
// that side's value goes to the other; both changed to the same value → in
// sync; both changed differently → a conflict the rule decides. Edits of
// different fields of a record merge, since each field is decided alone.
// No I/O; values are compared as the canonical JSON text the caller passes.
// Thread-safe (pure functions).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::sync {

// Who may write a table or field (config `sync.authority`).
enum class Authority {
  kAirtable,  // Postgres writes are refused (today's behaviour)
  kPostgres,  // Postgres is the truth; Airtable's edits are conflicts, overwritten
  kBoth,      // either side writes; conflicts follow the rule
};

// How a conflict is decided where both may write (config `sync.conflict`).
enum class ConflictRule {
  kAirtableWins,
  kPostgresWins,
  kLatest,  // Airtable's modification time against the Postgres commit time
  kManual,  // parked in airpg.conflicts until `airpg conflicts resolve`
};

Result<Authority> ParseAuthority(std::string_view text);  // airtable | postgres | both
Result<ConflictRule> ParseConflictRule(std::string_view text);
std::string_view AuthorityName(Authority authority);
std::string_view ConflictRuleName(ConflictRule rule);

using SyncTime = std::chrono::system_clock::time_point;

// Airtable's time text ("2024-01-02T03:04:05.678Z") as a time point; the
// epoch when unreadable (the rule `latest` then counts that side as older).
SyncTime ParseSyncTime(std::string_view iso);

// One field of one record as both sides have it now.
struct FieldVersions {
  std::optional<std::string> base;  // last value synced; nullopt: never synced
  std::string airtable;             // canonical JSON of the cell ("null" when empty)
  std::string postgres;             // the same form, from the row
  SyncTime airtable_modified{};     // Airtable's modification time of the record
  SyncTime postgres_committed{};    // commit time of the Postgres change
};

struct FieldPolicy {
  Authority authority = Authority::kAirtable;
  ConflictRule rule = ConflictRule::kLatest;
};

enum class FieldAction {
  kNone,        // both sides hold the same value: only the base moves
  kToPostgres,  // write Airtable's value to Postgres
  kToAirtable,  // write Postgres's value to Airtable
  kPark,        // leave both sides; record the conflict for an operator
};

struct FieldDecision {
  FieldAction action = FieldAction::kNone;
  // Both sides changed the field, differently (or a side wrote where it may
  // not): recorded in airpg.conflicts and sync_events whatever the action.
  bool conflict = false;
};

// The decision for one field. With authority kAirtable a Postgres change
// loses to Airtable (a conflict: the trigger should have refused it); with
// kPostgres an Airtable change is a conflict that Postgres overwrites, or
// parks under kManual; with kBoth a conflict follows the rule, and kLatest
// gives a tie to Airtable (the side whose clock set the record's time).
FieldDecision DecideField(const FieldVersions& field, const FieldPolicy& policy);

}  // namespace airpg::sync
