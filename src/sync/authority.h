// The authority matrix of two-way sync: who may write each mirrored table
// and field (airtable | postgres | both) and which conflict rule applies where
// both may. Configured in airpg.yaml (sync.authority, sync.conflict,
// sync.tables.<T>.{authority,conflict,fields.<F>}), stored in
// airpg.sync_authority by the sync at start, and enforced in Postgres by the
// write guard trigger of catalog_v6.sql (installed by InstallWriteTriggers).
// Pure values and functions over one connection; single-thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "pg/connection.h"
#include "sync/conflict_rules.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// Authority, ConflictRule and their names: sync/conflict_rules.h.

// One table's settings as written in the config: the table and its fields
// are named by Airtable name or tbl…/fld… id.
struct TableAuthorityConfig {
  std::optional<Authority> authority;  // unset: the default
  std::optional<ConflictRule> conflict;
  std::map<std::string, Authority> fields;
};

struct AuthorityConfig {
  Authority authority = Authority::kAirtable;  // today's behaviour: Postgres is a read-only mirror
  ConflictRule conflict = ConflictRule::kLatest;
  std::map<std::string, TableAuthorityConfig> tables;
};

// One table's resolved settings, as stored.
struct TableAuthority {
  std::string table_id;
  Authority authority = Authority::kAirtable;
  ConflictRule conflict = ConflictRule::kLatest;
  std::map<std::string, Authority> fields;  // fld… id → authority

  // Whether Postgres may write anything of the table (the outbox has work).
  bool PostgresWrites() const;
  // The authority of one field (its override or the table's).
  Authority Of(std::string_view field_id) const;
};

// Resolves `config` against the live base: a table or field name it does not
// know is kInvalidArgument naming it (a typo must not leave a table writable
// or read-only by surprise).
Result<std::map<std::string, TableAuthority>> ResolveAuthority(const LiveBase& base,
                                                               const AuthorityConfig& config);

// Writes the resolved matrix of every table of the base to
// airpg.sync_authority (one transaction).
Status StoreAuthority(pg::Connection& conn, const LiveBase& base,
                      const std::map<std::string, TableAuthority>& tables);

// The stored matrix of a base, by table id (tables without a row: airtable).
Result<std::map<std::string, TableAuthority>> LoadAuthority(pg::Connection& conn,
                                                            std::string_view base_id);

// Puts the write guard and the outbox capture on every mirrored table and
// junction of the live base (idempotent; run at every sync start and after
// schema changes, so a table a migration or schema change made is covered).
// A deadlock with other DDL on the live tables is retried (a few times).
Status InstallWriteTriggers(pg::Connection& conn, const LiveBase& base);

// A table new to the live base since the sync stored the matrix (created in
// Airtable and migrated on its own: serve's Meta API mirror, `airpg migrate
// --table`) gets its row from `config` — the sync's own settings — and every
// table its guard and capture, at once rather than at the next sync start.
// Tables that have a row keep it; a base no sync has stored a matrix for
// is left to the sync's start. Run after every schema change the sync or
// serve applies.
Status AdoptNewTables(pg::Connection& conn, const LiveBase& base, const AuthorityConfig& config);

}  // namespace airpg::sync
