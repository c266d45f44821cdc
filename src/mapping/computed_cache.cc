#include "mapping/computed_cache.h"

#include <fmt/format.h>

#include "base/sql_identifier.h"

namespace airpg::mapping {
namespace {

// `text` cut to at most `bytes` bytes, never inside a UTF-8 character.
std::string_view Cut(std::string_view text, size_t bytes) {
  size_t end = std::min(text.size(), bytes);
  while (end > 0 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

// A statement-level AFTER trigger on `relation` for `event`, naming the
// changed rows `airpg_new` / `airpg_old` as the refresh function reads them.
std::string Trigger(const ComputedCache& cache, std::string_view schema,
                    const std::string& relation, std::string_view suffix, std::string_view event,
                    const std::vector<std::string>& args) {
  std::string transition;
  if (event == "INSERT") transition = "NEW TABLE AS airpg_new";
  if (event == "UPDATE") transition = "OLD TABLE AS airpg_old NEW TABLE AS airpg_new";
  if (event == "DELETE") transition = "OLD TABLE AS airpg_old";
  std::string arguments =
      SqlStringLiteralForScript(cache.name) + ", " + SqlStringLiteralForScript(cache.source);
  for (const std::string& a : args) arguments += ", " + SqlStringLiteralForScript(a);
  return fmt::format(
      "CREATE TRIGGER {} AFTER {} ON {} REFERENCING {} FOR EACH STATEMENT EXECUTE FUNCTION "
      "airpg.refresh_computed_cache({})",
      QuoteIdentifier(cache.name + std::string(suffix)), event, QualifiedName(schema, relation),
      transition, arguments);
}

}  // namespace

ComputedCache NameCache(std::string_view view_name, int index) {
  ComputedCache cache;
  cache.name = fmt::format("{}$g{}", Cut(view_name, 50), index);
  cache.source = cache.name + "_src";
  return cache;
}

std::vector<std::string> CacheDdl(const ComputedCache& cache, std::string_view schema) {
  std::string table = QualifiedName(schema, cache.table_name);
  std::string name = QualifiedName(schema, cache.name);
  std::vector<std::string> out;
  std::string g = QuoteIdentifier(cache.group);
  std::string columns = g + ".*", from;
  for (const auto& [name, select] : cache.formulas) {
    std::string c = QuoteIdentifier(name);
    columns += fmt::format(", {}.\"v\" AS {}", c, c);
    from += fmt::format(" LEFT JOIN LATERAL (SELECT {} OFFSET 0) AS {} ON TRUE", select, c);
  }
  out.push_back(fmt::format(
      "CREATE VIEW {} AS SELECT \"t\".\"id\", {} FROM {} AS \"t\" LEFT JOIN LATERAL ({}) AS {} "
      "ON TRUE{}",
      QualifiedName(schema, cache.source), columns, table, cache.aggregates, g, from));
  out.push_back(fmt::format("CREATE TABLE {} AS SELECT * FROM {}", name,
                            QualifiedName(schema, cache.source)));
  // The cache row goes with its record.
  out.push_back(fmt::format(
      "ALTER TABLE {} ADD PRIMARY KEY (\"id\"), ADD FOREIGN KEY (\"id\") REFERENCES {} (\"id\") "
      "ON DELETE CASCADE",
      name, table));
  out.push_back(Trigger(cache, schema, cache.table_name, "_p", "INSERT", {"self"}));
  if (!cache.formulas.empty()) {
    // The formulas read the row's own columns too.
    out.push_back(Trigger(cache, schema, cache.table_name, "_pu", "UPDATE", {"self"}));
  }
  const LinkedRows& r = cache.rows;
  for (auto [suffix, event] : {std::pair{"_ci", "INSERT"}, {"_cu", "UPDATE"}, {"_cd", "DELETE"}}) {
    out.push_back(
        Trigger(cache, schema, r.child_relation, suffix, event, {"column", r.child_column}));
  }
  if (!r.linked_relation.empty()) {
    // A linked row joins a record only through a junction row (its own
    // trigger); its values and tombstone change by update, its end by delete.
    for (auto [suffix, event] : {std::pair{"_lu", "UPDATE"}, {"_ld", "DELETE"}}) {
      out.push_back(
          Trigger(cache, schema, r.linked_relation, suffix, event,
                  {"junction", r.child_relation, r.child_column, r.junction_linked_column}));
    }
  }
  return out;
}

std::string CacheDropSql(std::string_view schema) {
  return fmt::format("SELECT airpg.drop_computed_caches({})", SqlStringLiteralForScript(schema));
}

}  // namespace airpg::mapping
