#include "mapping/computed_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "base/sql_identifier.h"
#include "formula/parser.h"
#include "formula/sql_compiler.h"
#include "formula/time_zone.h"
#include "mapping/computed_division.h"
#include "mapping/computed_link.h"
#include "mapping/computed_rollup.h"

namespace airpg::mapping {
namespace {

using airtable::FieldType;

// Lookups of lookups of … stop here (Airtable's own chains are short).
constexpr int kMaxDepth = 8;

std::string OptionText(const airtable::Field& field, const char* key) {
  nlohmann::json options = nlohmann::json::parse(field.options_json, nullptr, false);
  if (!options.is_object() || !options.contains(key) || !(*options.find(key)).is_string()) {
    return "";
  }
  return options[key].get<std::string>();
}

bool IsComputedType(FieldType type) {
  return type == FieldType::kFormula || type == FieldType::kRollup ||
         type == FieldType::kMultipleLookupValues || type == FieldType::kLookup ||
         type == FieldType::kCount;
}

// NOW(), TODAY() and their kin: a view would need the clock at read time,
// which the compiler binds as a constant.
bool UsesClock(const formula::Node& node) {
  if (node.kind == formula::NodeKind::kCall && (node.text == "NOW" || node.text == "TODAY" ||
                                                node.text == "TONOW" || node.text == "FROMNOW")) {
    return true;
  }
  for (const formula::NodePtr& arg : node.args) {
    if (UsesClock(*arg)) return true;
  }
  return false;
}

// NOW() and its kin read Postgres' clock when the view is read. The
// compiler binds the clock as a constant (a parameter holding the instant),
// so a formula is compiled with a stand-in instant whose parameters become
// now() and, for TODAY(), the start of now()'s UTC day; it is compiled with
// two stand-ins, and only when both give the same SQL is no stand-in folded
// into a constant (as YEAR(NOW()) could be) or taken from the formula's text.
struct ClockStandIn {
  int64_t millis;
  std::string now;    // the compiler's text of NOW()
  std::string today;  // of TODAY()
};
const ClockStandIn kClockStandIns[] = {
    {4102444800123, "2100-01-01T00:00:00.123Z", "2100-01-01T00:00:00.000Z"},
    {4136846706789, "2101-02-03T04:05:06.789Z", "2101-02-03T00:00:00.000Z"},
};

// $n::cast placeholders → quoted literals: a view has no parameters. The
// compiler writes no '$' of its own outside placeholders; quoted literals
// and identifiers it writes are skipped all the same. With `clock`, its
// stand-in instants become Postgres' clock.
std::string InlineParams(const formula::CompiledSql& compiled,
                         const ClockStandIn* clock = nullptr) {
  const std::string& sql = compiled.sql;
  std::string out;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '$' || i + 1 >= sql.size() || !isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out += c;
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && isdigit(static_cast<unsigned char>(sql[end]))) ++end;
    size_t n = std::stoul(sql.substr(i + 1, end - i - 1));
    const std::optional<std::string>& value = compiled.params.at(n - 1);
    if (clock != nullptr && value == clock->now) {
      // Airtable's NOW() has millisecond precision.
      out += "date_trunc('milliseconds', now())";
    } else if (clock != nullptr && value == clock->today) {
      out += "date_trunc('day', now(), 'UTC')";
    } else {
      out += value ? SqlStringLiteralForScript(*value) : "NULL";
    }
    i = end - 1;
  }
  return out;
}

formula::FieldInfo InfoOf(const FieldPlan& f) {
  std::string result_type;
  nlohmann::json options = nlohmann::json::parse(f.field.options_json, nullptr, false);
  if (options.is_object() && options.contains("result") && options["result"].is_object() &&
      options["result"].contains("type") && options["result"]["type"].is_string()) {
    result_type = options["result"]["type"].get<std::string>();
  }
  return {f.field.id, f.field.name, f.field.type_name, result_type};
}

class Planner {
 public:
  Planner(const SchemaPlan& plan, std::string_view schema) : plan_(plan), schema_(schema) {}

  ComputedPlan Run() {
    ComputedPlan out;
    for (const TablePlan& t : plan_.tables) {
      ComputedTable table{t.table_id, t.table_name, t.computed_view, {}, {}};
      std::vector<ComputedLateral> fields;
      laterals_ = &fields;
      groups_.clear();
      group_index_.clear();
      errors_.clear();
      formula_home_.clear();
      for (const FieldPlan& f : t.fields) {
        if (!IsComputedType(f.field.type)) continue;
        Result<std::string> sql = FieldSql(t, f, "t", 0);
        if (sql.ok() && f.field.type != FieldType::kFormula) {
          out.unconditional.push_back(
              {t.table_id, t.table_name, f.field.id, f.field.name, f.field.type_name,
               "computed over every linked record: Airtable's API does not expose a "
               "condition on the linked records, so a conditional one differs in the view "
               "from its stored column (Airtable's value)"});
        }
        if (sql.ok()) {
          auto error = errors_.find(f.field.id);
          table.columns.push_back(
              {f.field.id, f.column_name, *sql, error == errors_.end() ? "" : error->second});
        } else {
          out.not_computed.push_back({t.table_id, t.table_name, f.field.id, f.field.name,
                                      f.field.type_name, std::string(sql.status().message())});
        }
      }
      // Link groups first: the field laterals read them.
      for (const Group& g : groups_) {
        std::string columns;
        for (size_t i = 0; i < g.aggregates.size(); ++i) {
          columns += fmt::format("{}{} AS {}", i ? ", " : "", g.aggregates[i],
                                 QuoteIdentifier(fmt::format("a{}", i + 1)));
        }
        // The rows sorted once, in the link's order, for every aggregate
        // that reads them in order (array_agg, string_agg): Postgres feeds
        // an aggregate its rows in the order of a sorted subquery
        // (documented in "Aggregate Expressions"), where an ORDER BY inside
        // each aggregate would sort them again for each (PG 15 has no
        // presorted aggregates). The equality tests hold it to Airtable's order.
        std::string l = QuoteIdentifier(g.rows.alias);
        std::string sql = fmt::format("SELECT {} FROM (SELECT {}.* {} ORDER BY {}) AS {}", columns,
                                      l, g.rows.from_where, g.rows.order_by, l);
        if (!g.cached) {
          table.laterals.push_back({g.name, sql, ""});
          continue;
        }
        ComputedCache cache = NameCache(t.computed_view, static_cast<int>(table.caches.size()) + 1);
        cache.table_name = t.table_name;
        cache.group = g.name;
        cache.aggregates = sql;
        cache.rows = g.rows;
        for (const ComputedLateral& l : fields) {
          auto home = formula_home_.find(l.name);
          if (home != formula_home_.end() && home->second == g.name) {
            cache.formulas.push_back({l.name, l.sql});
          }
        }
        table.laterals.push_back({g.name, "", cache.name});
        table.caches.push_back(std::move(cache));
      }
      for (ComputedLateral& l : fields) {
        auto home = formula_home_.find(l.name);
        if (home != formula_home_.end()) {
          // Kept in its cache: read from there (no OFFSET 0, so the planner
          // folds this into a plain column of the join).
          table.laterals.push_back(
              {l.name,
               fmt::format("SELECT {}.{} AS \"v\"", QuoteIdentifier(home->second),
                           QuoteIdentifier(l.name)),
               ""});
          continue;
        }
        table.laterals.push_back({l.name, fmt::format("SELECT {} OFFSET 0", l.sql), ""});
      }
      out.tables.push_back(std::move(table));
    }
    return out;
  }

  // The field's value in the row aliased `alias`, as SQL of its column type.
  Result<std::string> FieldSql(const TablePlan& t, const FieldPlan& f, const std::string& alias,
                               int depth) {
    if (depth > kMaxDepth) return UnimplementedError("a chain of computed fields too deep");
    if (!IsComputedType(f.field.type)) return StoredSql(f, alias);
    std::string key = f.field.id + "@" + alias;
    if (auto it = memo_.find(key); it != memo_.end()) {
      // What it read counts again for whoever reads it now.
      far_reads_ += it->second.far_reads;
      clock_reads_ += it->second.clock_reads;
      last_may_error_ = it->second.may_error;
      return it->second.sql;
    }
    if (!visiting_.insert(key).second) return UnimplementedError("a cycle of computed fields");
    int far_before = far_reads_, clock_before = clock_reads_;
    formula_error_.clear();
    Result<std::string> sql = ComputedSql(t, f, alias, depth);
    visiting_.erase(key);
    // A formula dividing by a field: when it is #ERROR! (computed_division.h).
    std::string error = sql.ok() && f.field.type == FieldType::kFormula ? formula_error_ : "";
    formula_error_.clear();
    // (A lookup, rollup or count is already one column of its link's group.)
    if (sql.ok() && alias == "t" && f.field.type == FieldType::kFormula) {
      // The view's own row: computed once, in a LATERAL subquery that
      // later fields read by name, rather than repeated where referenced.
      std::string name = fmt::format("c{}", laterals_->size() + 1);
      std::string select = *sql + " AS \"v\"";
      if (!error.empty()) {
        select += ", " + error + " AS \"e\"";
        errors_[f.field.id] = QuoteIdentifier(name) + ".\"e\"";
      }
      laterals_->push_back({name, select, ""});
      if (error.empty() && clock_reads_ == clock_before) {
        std::string home = CacheHome(*sql);
        if (!home.empty()) formula_home_[name] = home;
      }
      sql = fmt::format("{}.\"v\"", QuoteIdentifier(name));
    }
    memo_.emplace(key,
                  Memo{sql, far_reads_ - far_before, clock_reads_ - clock_before, !error.empty()});
    last_may_error_ = !error.empty();
    return sql;
  }

  // The cached group a formula of the view's row can be kept with: the one
  // link group (a cached one) its SQL reads, directly or through formulas
  // kept there, besides the row's own columns; "" when there is none or it
  // reads anything live. Reads are found by the names this planner gives
  // ("gN", "cN"); a literal that looks like one only makes it live.
  std::string CacheHome(const std::string& sql) {
    static const std::regex kRead("\"([gc])([0-9]+)\"\\.");
    std::set<std::string> homes;
    for (std::sregex_iterator it(sql.begin(), sql.end(), kRead), end; it != end; ++it) {
      std::string name = (*it)[1].str() + (*it)[2].str();
      if ((*it)[1] == "c") {
        auto home = formula_home_.find(name);
        if (home == formula_home_.end()) return "";
        homes.insert(home->second);
        continue;
      }
      bool cached = false;
      for (const Group& g : groups_) {
        if (g.name == name) cached = g.cached;
      }
      if (!cached) return "";
      homes.insert(name);
    }
    return homes.size() == 1 ? *homes.begin() : "";
  }

 private:
  Result<std::string> StoredSql(const FieldPlan& f, const std::string& alias) {
    if (!f.HasColumn() || f.link_role != LinkRole::kNone) {
      return UnimplementedError(
          fmt::format("field \"{}\" ({}) is stored in a relation, not a column", f.field.name,
                      f.field.type_name));
    }
    std::string col = fmt::format("{}.{}", QuoteIdentifier(alias), QuoteIdentifier(f.column_name));
    if (f.field.type == FieldType::kDuration) return fmt::format("extract(epoch from {})", col);
    return col;
  }

  Result<std::string> ComputedSql(const TablePlan& t, const FieldPlan& f, const std::string& alias,
                                  int depth) {
    if (!f.HasColumn()) return UnimplementedError("the field has no column");
    if (f.column.sql_type == "jsonb") {
      return UnimplementedError("its result is stored as jsonb (no plain result type)");
    }
    LinkSql links(plan_, schema_);
    // The view's own row shares one scan of each link's rows (Aggregate).
    int link_depth = alias == "t" ? 0 : depth;
    switch (f.field.type) {
      case FieldType::kFormula:
        return FormulaSql(t, f, alias, depth);
      case FieldType::kCount: {
        AIRPG_ASSIGN_OR_RETURN(LinkedRows rows, GroupRows(links, t, f, alias, link_depth));
        return fmt::format("({})::{}", Aggregate(rows, alias, "count(*)", true), f.column.sql_type);
      }
      case FieldType::kMultipleLookupValues:
      case FieldType::kLookup: {
        AIRPG_ASSIGN_OR_RETURN(LinkedRows rows, GroupRows(links, t, f, alias, link_depth));
        int far = far_reads_, clock = clock_reads_;
        AIRPG_ASSIGN_OR_RETURN(std::string value, SourceSql(rows, depth, true));
        // Arrays concatenated (airpg.array_cat_agg, catalog_v13.sql); no
        // values at all is an empty cell, as a lookup of single values.
        std::string agg =
            IsMultiValued(*rows.source)
                ? fmt::format(
                      "NULLIF(airpg.array_cat_agg({0}{1}) FILTER (WHERE ({0}) IS NOT NULL), "
                      "'{{}}')",
                      value, rows.agg_order)
                : fmt::format("array_agg({0}{1}) FILTER (WHERE ({0}) IS NOT NULL)", value,
                              rows.agg_order);
        bool near = far == far_reads_ && clock == clock_reads_;
        return fmt::format("({})::{}", Aggregate(rows, alias, agg, near), f.column.sql_type);
      }
      case FieldType::kRollup: {
        std::string text = OptionText(f.field, "formula");
        if (text.empty()) {
          return UnimplementedError(
              "Airtable's API does not say a rollup's aggregation (options.formula)");
        }
        AIRPG_ASSIGN_OR_RETURN(LinkedRows rows, GroupRows(links, t, f, alias, link_depth));
        int far = far_reads_, clock = clock_reads_;
        AIRPG_ASSIGN_OR_RETURN(std::string value, SourceSql(rows, depth));
        AIRPG_ASSIGN_OR_RETURN(std::string agg, RollupSql(text, value, rows));
        bool near = far == far_reads_ && clock == clock_reads_;
        return fmt::format("({})::{}", Aggregate(rows, alias, agg, near), f.column.sql_type);
      }
      default:
        return UnimplementedError("not a computed field");
    }
  }

  // The link's rows; on the view's own row they reach the aggregates of
  // their group already sorted (Run), so no aggregate sorts them again.
  Result<LinkedRows> GroupRows(const LinkSql& links, const TablePlan& t, const FieldPlan& f,
                               const std::string& alias, int link_depth) {
    AIRPG_ASSIGN_OR_RETURN(LinkedRows rows, links.Rows(t, f, alias, link_depth));
    if (alias == "t") rows.agg_order.clear();
    return rows;
  }

  // `agg` (an aggregate over the link's rows) for the row aliased `outer`:
  // on the view's own row, a column of the link's one LATERAL group, so
  // every lookup, rollup and count through one link scans its rows once;
  // elsewhere a scalar subquery (a read of rows further away). `near`: it
  // reads only the linked rows' own columns and not the clock, so a cache
  // of a link reaching many rows may keep it (computed_cache.h); the others
  // of that link share a live group.
  std::string Aggregate(const LinkedRows& rows, const std::string& outer, const std::string& agg,
                        bool near) {
    if (outer != "t") {
      ++far_reads_;
      return fmt::format("(SELECT {} {})", agg, rows.from_where);
    }
    bool cached = near && rows.many;
    std::string key = rows.from_where + (cached ? "\ncached" : "");
    auto it = group_index_.find(key);
    if (it == group_index_.end()) {
      it = group_index_.emplace(key, groups_.size()).first;
      groups_.push_back({fmt::format("g{}", groups_.size() + 1), rows, cached, {}});
    }
    Group& g = groups_[it->second];
    g.aggregates.push_back(agg);
    return fmt::format("{}.{}", QuoteIdentifier(g.name),
                       QuoteIdentifier(fmt::format("a{}", g.aggregates.size())));
  }

  // The linked row's value of the looked-up field. `flat`: the caller
  // flattens arrays (a lookup: Airtable shows a lookup of a multi-valued
  // field as one array of all their values, in link order).
  Result<std::string> SourceSql(const LinkedRows& rows, int depth, bool flat = false) {
    if (!flat && IsMultiValued(*rows.source)) {
      return UnimplementedError("it rolls up a multi-valued field (arrays are not flattened)");
    }
    Result<std::string> value = FieldSql(*rows.linked, *rows.source, rows.alias, depth + 1);
    if (value.ok() && last_may_error_) {
      return UnimplementedError(
          fmt::format("it reads \"{}\", which may be #ERROR!", rows.source->field.name));
    }
    return value;
  }

  static bool IsMultiValued(const FieldPlan& f) {
    return f.column.cell_array || f.field.type == FieldType::kMultipleLookupValues ||
           f.field.type == FieldType::kLookup;
  }

  Result<std::string> FormulaSql(const TablePlan& t, const FieldPlan& f, const std::string& alias,
                                 int depth) {
    std::string text = OptionText(f.field, "formula");
    Result<formula::NodePtr> root = formula::Parse(text);
    if (!root.ok()) return UnimplementedError("the formula does not parse");
    bool clock = UsesClock(**root);
    if (clock) ++clock_reads_;
    formula::ColumnResolver resolve =
        [&](std::string_view name_or_id) -> Result<formula::ResolvedColumn> {
      const FieldPlan* ref = t.FindField(name_or_id);
      if (ref == nullptr) {
        for (const FieldPlan& candidate : t.fields) {
          if (candidate.field.name == name_or_id) ref = &candidate;
        }
      }
      if (ref == nullptr) return UnimplementedError(fmt::format("unknown field {}", name_or_id));
      Result<std::string> sql = FieldSql(t, *ref, alias, depth + 1);
      if (!sql.ok()) {
        return UnimplementedError(fmt::format("it reads \"{}\", which {}", ref->field.name,
                                              IsComputedType(ref->field.type)
                                                  ? "is not computed in SQL"
                                                  : std::string(sql.status().message())));
      }
      // An expression computed here is an error value only where it divides
      // by a field; the compiler refuses what reads one that may be.
      return formula::ResolvedColumn{*sql, InfoOf(*ref), !last_may_error_};
    };
    formula::SqlOptions options;
    options.zones = formula::SystemTimeZones();
    std::string a = QuoteIdentifier(alias);
    options.record_id_sql = a + ".\"airtable_id\"";
    options.created_time_sql = a + ".\"airtable_created_time\"";
    options.last_modified_sql = a + ".\"airtable_modified_time\"";
    Result<formula::CompiledSql> compiled = formula::CompileToSql(**root, resolve, options);
    std::string error;  // when the formula is #ERROR! (a division by zero)
    if (!compiled.ok() && !clock &&
        compiled.status().message().find("division by a value that may be zero") !=
            std::string::npos) {
      Result<GuardedFormula> guarded = CompileGuardedDivisions(
          **root, resolve, options, [](const formula::CompiledSql& c) { return InlineParams(c); });
      if (!guarded.ok()) return UnimplementedError(std::string(guarded.status().message()));
      compiled = formula::CompiledSql{guarded->value, {}, guarded->type};
      error = guarded->error;
    }
    if (!compiled.ok()) return UnimplementedError(std::string(compiled.status().message()));
    std::string sql = InlineParams(*compiled);
    if (clock) {
      std::string first;
      for (const ClockStandIn& stand_in : kClockStandIns) {
        options.now_millis = stand_in.millis;
        compiled = formula::CompileToSql(**root, resolve, options);
        if (!compiled.ok()) return UnimplementedError(std::string(compiled.status().message()));
        sql = InlineParams(*compiled, &stand_in);
        if (first.empty()) first = sql;
      }
      if (sql != first) {
        return UnimplementedError(
            "it reads the clock (NOW(), TODAY()) where the compiler folds it into a constant");
      }
    }
    formula_error_ = error;
    const std::string& type = f.column.sql_type;
    switch (compiled->type) {
      case formula::Type::kText:
        // Airtable shows an empty text result as an empty cell.
        return fmt::format("NULLIF({}, '')::{}", sql, type);
      case formula::Type::kDate:
        if (type == "date") return fmt::format("(({}) AT TIME ZONE 'UTC')::date", sql);
        return fmt::format("({})::{}", sql, type);
      case formula::Type::kNumber:
        // NaN and ±Infinity are Airtable's special values: no column holds them.
        if (type != "double precision" && type != "float8") {
          // NULLIF evaluates its first argument once.
          return fmt::format(
              "NULLIF(NULLIF(NULLIF(({})::float8, 'NaN'::float8), 'Infinity'::float8), "
              "'-Infinity'::float8)::{}",
              sql, type);
        }
        return fmt::format("({})::{}", sql, type);
      default:
        return fmt::format("({})::{}", sql, type);
    }
  }

  const SchemaPlan& plan_;
  std::string schema_;
  std::vector<ComputedLateral>* laterals_ = nullptr;  // the table being planned
  // Its link groups: one LATERAL per link read, every aggregate over it.
  struct Group {
    std::string name;
    LinkedRows rows;
    bool cached = false;  // kept in a cache table (computed_cache.h)
    std::vector<std::string> aggregates;
  };
  struct Memo {
    Result<std::string> sql;
    int far_reads = 0;  // what computing it added to the counters below
    int clock_reads = 0;
    bool may_error = false;  // a formula that may be #ERROR! (computed_division.h)
  };
  bool last_may_error_ = false;                      // of the field FieldSql gave last
  std::string formula_error_;                        // of the formula FormulaSql compiled last
  std::map<std::string, std::string> errors_;        // field id → its lateral's "e" (the table's)
  std::map<std::string, std::string> formula_home_;  // lateral "cN" → its cache's group "gK"
  // Reads of rows beyond a link's own rows, and of the clock, so far: an
  // aggregate whose value moved either is not cached.
  int far_reads_ = 0;
  int clock_reads_ = 0;
  std::map<std::string, Memo> memo_;
  std::vector<Group> groups_;
  std::map<std::string, size_t> group_index_;
  std::set<std::string> visiting_;
};

}  // namespace

std::string ComputedViewName(std::string_view table_name) {
  constexpr std::string_view kSuffix = "_computed";
  size_t end = std::min(table_name.size(), 63 - kSuffix.size());
  // Cut at a UTF-8 boundary: never inside a character.
  while (end > 0 && end < table_name.size() &&
         (static_cast<unsigned char>(table_name[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(table_name.substr(0, end)) + std::string(kSuffix);
}

ComputedPlan PlanComputed(const SchemaPlan& plan, std::string_view schema) {
  return Planner(plan, schema).Run();
}

std::vector<std::string> ComputedViewDdl(const SchemaPlan& plan, const ComputedPlan& computed,
                                         std::string_view schema) {
  // The caches of the views before (their triggers would fire on writes to
  // columns a schema change renames).
  std::vector<std::string> out = {CacheDropSql(schema)};
  for (const ComputedTable& ct : computed.tables) {
    const TablePlan* t = plan.FindTable(ct.table_id);
    if (t == nullptr) continue;
    std::map<std::string, std::string> by_column;
    std::string field_ids, errors, any_error;
    for (const ComputedColumn& c : ct.columns) {
      by_column[c.column_name] = c.sql;
      field_ids += (field_ids.empty() ? "" : ", ") + SqlStringLiteralForScript(c.field_id);
      if (c.error_sql.empty()) continue;
      errors += fmt::format(
          " || CASE WHEN {} THEN jsonb_build_object({}, '{{\"error\": \"#ERROR!\"}}'::jsonb) "
          "ELSE '{{}}'::jsonb END",
          c.error_sql, SqlStringLiteralForScript(c.field_id));
      any_error += (any_error.empty() ? "" : " OR ") + c.error_sql;
    }
    std::string select = "\"t\".\"id\", \"t\".\"airtable_id\"";
    for (const FieldPlan& f : t->fields) {
      if (!f.HasColumn()) continue;
      std::string col = QuoteIdentifier(f.column_name);
      auto it = by_column.find(f.column_name);
      select += it == by_column.end() ? fmt::format(",\n  \"t\".{}", col)
                                      : fmt::format(",\n  {} AS {}", it->second, col);
    }
    select +=
        ",\n  \"t\".\"airtable_created_time\", \"t\".\"airtable_modified_time\", "
        "\"t\".\"deleted_at\"";
    // Airtable's recorded errors of a field computed here no longer apply;
    // it is #ERROR! only where it divides by zero. (NULL, the common case,
    // stays NULL without building a jsonb value per row.)
    if (field_ids.empty()) {
      select += ",\n  \"t\".\"airpg_cell_errors\"";
    } else {
      std::string kept = fmt::format(
          "NULLIF(\"t\".\"airpg_cell_errors\" - ARRAY[{}]::text[], '{{}}'::jsonb)", field_ids);
      if (!any_error.empty()) {
        kept = fmt::format(
            "CASE WHEN {} THEN NULLIF((COALESCE(\"t\".\"airpg_cell_errors\", '{{}}'::jsonb) - "
            "ARRAY[{}]::text[]){}, '{{}}'::jsonb) ELSE {} END",
            any_error, field_ids, errors, kept);
      }
      select += ",\n  " + kept + " AS \"airpg_cell_errors\"";
    }
    std::string from = QualifiedName(schema, ct.table_name) + " AS \"t\"";
    for (const ComputedLateral& l : ct.laterals) {
      if (!l.relation.empty()) {
        from += fmt::format("\n  LEFT JOIN {} AS {} ON {}.\"id\" = \"t\".\"id\"",
                            QualifiedName(schema, l.relation), QuoteIdentifier(l.name),
                            QuoteIdentifier(l.name));
        continue;
      }
      // OFFSET 0 keeps the planner from folding the subquery back into
      // every expression that reads it (which would compute it again there).
      from +=
          fmt::format("\n  LEFT JOIN LATERAL ({}) AS {} ON TRUE", l.sql, QuoteIdentifier(l.name));
    }
    std::string view = QualifiedName(schema, ct.view_name);
    out.push_back(fmt::format("DROP VIEW IF EXISTS {}", view));
    for (const ComputedCache& cache : ct.caches) {
      for (std::string& s : CacheDdl(cache, schema)) out.push_back(std::move(s));
    }
    out.push_back(fmt::format("CREATE VIEW {} AS\nSELECT {}\nFROM {}", view, select, from));
  }
  return out;
}

std::vector<std::string> NotComputedLines(const ComputedPlan& computed) {
  std::vector<std::string> out;
  for (const NotComputedField& f : computed.not_computed) {
    out.push_back(fmt::format("{}.{} ({}, {}): stays Airtable-computed: {}", f.table_name,
                              f.field_name, f.field_id, f.type_name, f.reason));
  }
  return out;
}

std::vector<std::string> UnconditionalLines(const ComputedPlan& computed) {
  std::vector<std::string> out;
  for (const NotComputedField& f : computed.unconditional) {
    out.push_back(fmt::format("{}.{} ({}, {}): {}", f.table_name, f.field_name, f.field_id,
                              f.type_name, f.reason));
  }
  return out;
}

}  // namespace airpg::mapping
