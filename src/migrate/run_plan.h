// RunPlan: what one migration run builds — the plan of every table the new
// schema will hold, and which of them it reads from Airtable (refreshed) and
// which it copies from the live schema (kept). `migrate --tables A,B` on a
// migrated base refreshes A and B and keeps the others, so the swapped-in
// schema still holds the whole base and every link between a refreshed and a
// kept table resolves (keep_step.h). A first migration with --tables has no
// live schema to keep from: it plans only the named tables. Pure values and
// one read of Airtable's schema and the catalog; single-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "airtable/client.h"
#include "base/result.h"
#include "mapping/schema_plan.h"
#include "pg/catalog_rows.h"
#include "pg/connection.h"

namespace airpg::migrate {

// The base's live schema and the run it came from.
struct LiveMirror {
  std::string schema;
  int64_t run_id = 0;
};

struct RunPlan {
  mapping::SchemaPlan plan;                      // every table of the new schema
  std::set<std::string, std::less<>> refreshed;  // table ids read from Airtable
  std::set<std::string, std::less<>> kept;       // table ids copied from `live`
  std::optional<LiveMirror> live;
  pg::CatalogRows catalog;  // the base's catalog rows when planned
  // airpg.runs.options: {"refresh": [ids]} for a partial run, "" for a whole
  // one. A run resumes only with the same plan and options.
  std::string options_json;

  bool partial() const { return !kept.empty(); }
  // The plan of the refreshed tables only (the post-load check compares those).
  mapping::SchemaPlan RefreshedPlan() const;
};

// The names the catalog gave the base's tables, fields and relation tables.
mapping::KnownNames KnownNamesOf(const pg::CatalogRows& rows);

// The base's live schema, if it has one (airpg.bases names it and it exists).
Result<std::optional<LiveMirror>> FindLiveMirror(pg::Connection& conn, std::string_view base_id);

// Plans a run of `base_id` refreshing `tables` (ids or names; empty = all).
// kInvalidArgument for a name the base does not have.
Result<RunPlan> PlanRun(airtable::Client& client, pg::Connection& conn, std::string_view base_id,
                        const std::vector<std::string>& tables);

}  // namespace airpg::migrate
