// ComputedCache: a table's lookups, rollups and counts through one link
// that reaches many rows (an inverse FK or an ordered junction), kept in a
// cache table beside the computed view (computed_view.h) instead of being
// aggregated on every read. Reading 100 records then costs one index probe
// of the cache per record, not an index scan and heap fetch of each
// record's linked rows (bench/computed_bench.cc measures both).
//
// Per cached link: a source view S."<view>$gN_src" (the aggregates computed
// live, a1…aN), the cache table S."<view>$gN" filled from it, and
// statement-level AFTER triggers running airpg.refresh_computed_cache()
// (catalog_v13.sql) on the table itself (new rows), on the linked table or
// junction (a link added, moved, reordered or removed; a linked row's values
// or tombstone changed), which recompute the affected rows in the writer's
// transaction whatever its origin. Only aggregates that read the linked
// rows' own columns (and formulas over them) are cached: what reads rows
// further away, or the clock, stays live in the view. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mapping/computed_link.h"

namespace airpg::mapping {

struct ComputedCache {
  std::string table_name;  // the table whose rows the cache has one row for
  std::string name;        // the cache table
  std::string source;      // its source view
  std::string group;       // the name the view's formulas read the aggregates by ("g1")
  std::string aggregates;  // the SELECT of the link's aggregates (a1…aN) for the row "t"
  LinkedRows rows;         // the link (what its triggers watch)
  // Formulas of the row over these aggregates and the row's own columns
  // only, kept here too (a formula's number-to-text costs more per read
  // than the aggregates): {lateral name, its "… AS \"v\"" select list}, in
  // dependency order. With any, the row's own updates refresh the cache.
  std::vector<std::pair<std::string, std::string>> formulas;
};

// The names of the `index`-th (1-based) cache of the view `view_name`: the
// '$' keeps them apart from every name airpg gives a table (naming.h never
// makes one), so they never take a table's name.
ComputedCache NameCache(std::string_view view_name, int index);

// CREATE VIEW (source), CREATE TABLE … AS (filled), its keys, and the
// triggers, for a cache in `schema`. The caller drops the old ones first
// (CacheDropSql).
std::vector<std::string> CacheDdl(const ComputedCache& cache, std::string_view schema);

// Drops every cache of `schema` with its triggers (and the computed views
// that read them): airpg.drop_computed_caches().
std::string CacheDropSql(std::string_view schema);

}  // namespace airpg::mapping
