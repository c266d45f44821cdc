#include "migrate/finish_step.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "pg/quote.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

using mapping::FieldPlan;
using mapping::LinkRole;
using mapping::Storage;

class Finisher {
 public:
  Finisher(LoadContext& ctx, pg::Transaction& tx) : ctx_(ctx), tx_(tx) {}

  Result<int64_t> Run(const mapping::SchemaDdl& ddl) {
    // Statistics first (issue 6): the tables were just bulk-loaded, and
    // autovacuum has sampled them part way through the load or not at all.
    // With such statistics a link query below was planned as a nested loop
    // over sequential scans — quadratic, hours for a million records.
    AIRPG_RETURN_IF_ERROR(KeepOnlyCurrentLinks());
    AIRPG_RETURN_IF_ERROR(tx_.Run("ANALYZE " + Name("_links")));
    for (const auto& table : ctx_.plan->tables) {
      AIRPG_RETURN_IF_ERROR(tx_.Run("ANALYZE " + Name(table.table_name)));
    }
    for (const auto& table : ctx_.plan->tables) {
      for (const auto& f : table.fields) AIRPG_RETURN_IF_ERROR(Field(table, f));
    }
    for (const auto& s : ddl.finish) AIRPG_RETURN_IF_ERROR(tx_.Run(s));
    for (const auto& c : ddl.comments) {
      pg::Param column = c.column.empty() ? pg::Param() : pg::Param(c.column);
      AIRPG_RETURN_IF_ERROR(tx_.Run("SELECT airpg.comment_on($1, $2, $3, $4)",
                                    {ctx_.staging_schema, c.table, column, c.text}));
    }
    for (const auto& s : ddl.audit) AIRPG_RETURN_IF_ERROR(tx_.Run(s));
    AIRPG_RETURN_IF_ERROR(tx_.Run("DROP TABLE " + Name("_links")));
    return rejected_;
  }

 private:
  // A partial run copies a kept table's side of a link pair from the live
  // schema; when the other side was read again, its cells are newer: a link
  // the refreshed side no longer lists is gone. (A link it lists that the
  // kept side lacks comes in through the full join of the junction below.)
  Status KeepOnlyCurrentLinks() {
    for (const auto& table : ctx_.plan->tables) {
      if (!ctx_.kept_tables.count(table.table_id)) continue;
      for (const auto& f : table.fields) {
        if (f.link_role != LinkRole::kJunction && f.link_role != LinkRole::kJunctionInverse) {
          continue;
        }
        if (f.inverse_field_id.empty() || ctx_.kept_tables.count(f.linked_table_id)) continue;
        AIRPG_RETURN_IF_ERROR(
            tx_.Run(fmt::format("DELETE FROM {l} k WHERE k.field_id = $1 AND NOT EXISTS "
                                "(SELECT 1 FROM {l} r WHERE r.field_id = $2 AND r.from_record = "
                                "k.to_record AND r.to_record = k.from_record)",
                                fmt::arg("l", Name("_links"))),
                    {f.field.id, f.inverse_field_id}));
      }
    }
    return Status::Ok();
  }

  std::string Name(std::string_view table) const {
    return QualifiedName(ctx_.staging_schema, table);
  }

  Status Field(const mapping::TablePlan& t, const FieldPlan& f) {
    std::string from = Name(t.table_name);
    if (f.link_role == LinkRole::kForeignKey || f.link_role == LinkRole::kJunction ||
        f.link_role == LinkRole::kJunctionInverse) {
      const mapping::TablePlan* to = ctx_.plan->FindTable(f.linked_table_id);
      AIRPG_RETURN_IF_ERROR(RejectDangling(t, f, *to));
      if (f.link_role == LinkRole::kForeignKey) {
        return tx_.Run(
            fmt::format(
                "UPDATE {} a SET {} = b.id FROM {} l JOIN {} b ON b.airtable_id = l.to_record "
                "WHERE l.field_id = $1 AND a.airtable_id = l.from_record",
                from, QuoteIdentifier(f.column_name), Name("_links"), Name(to->table_name)),
            {f.field.id});
      }
      if (f.link_role == LinkRole::kJunction) {
        // Both sides' cells give a position; a link seen by only one side
        // (changed between the two tables' reads) keeps NULL on the other.
        return tx_.Run(
            fmt::format(
                "INSERT INTO {} (from_id, to_id, position, inverse_position) "
                "SELECT a.id, b.id, min(o.position), min(i.position) "
                "FROM (SELECT from_record, to_record, position FROM {l} WHERE field_id = $1) o "
                "FULL JOIN (SELECT to_record AS from_record, from_record AS to_record, position "
                "FROM {l} WHERE field_id = $2) i USING (from_record, to_record) "
                "JOIN {} a ON a.airtable_id = from_record JOIN {} b ON b.airtable_id = to_record "
                "GROUP BY a.id, b.id",
                Name(f.relation_table), from, Name(to->table_name), fmt::arg("l", Name("_links"))),
            {f.field.id, f.inverse_field_id});
      }
      return Status::Ok();
    }
    if (f.column.storage == Storage::kUserJunction) {
      return tx_.Run(fmt::format("INSERT INTO {} (record_id, user_id, position) "
                                 "SELECT a.id, l.to_record, min(l.position) FROM {} l "
                                 "JOIN {} a ON a.airtable_id = l.from_record WHERE l.field_id = $1 "
                                 "GROUP BY a.id, l.to_record",
                                 Name(f.relation_table), Name("_links"), from),
                     {f.field.id});
    }
    if (f.column.storage == Storage::kChoice) return Choices(t, f);
    return Status::Ok();
  }

  // The field's choices in Airtable's order, then any value the cells hold
  // that the schema does not list (a choice added while the run read).
  Status Choices(const mapping::TablePlan& t, const FieldPlan& f) {
    nlohmann::json options = nlohmann::json::parse(f.field.options_json, nullptr, false);
    std::vector<std::optional<std::string>> ids, names, colors;
    if (options.is_object() && options["choices"].is_array()) {
      for (const auto& c : options["choices"]) {
        if (!c.is_object() || !c["name"].is_string()) continue;
        names.push_back(c["name"].get<std::string>());
        ids.push_back(c.value("id", ""));
        colors.push_back(c.contains("color") && c["color"].is_string()
                             ? std::optional(c["color"].get<std::string>())
                             : std::nullopt);
      }
    }
    std::string choices = Name(f.relation_table);
    AIRPG_RETURN_IF_ERROR(
        tx_.Run(fmt::format("INSERT INTO {} (name, airtable_choice_id, color, position) "
                            "SELECT n, nullif(i, ''), c, p FROM unnest($1::text[], $2::text[], "
                            "$3::text[]) WITH ORDINALITY AS x(n, i, c, p) ON CONFLICT DO NOTHING",
                            choices),
                {pg::ArrayLiteral(names), pg::ArrayLiteral(ids), pg::ArrayLiteral(colors)}));
    return tx_.Run(
        fmt::format("INSERT INTO {} (name) SELECT DISTINCT {} FROM {} WHERE {} IS NOT "
                    "NULL ON CONFLICT DO NOTHING",
                    choices, QuoteIdentifier(f.column_name), Name(t.table_name),
                    QuoteIdentifier(f.column_name)));
  }

  Status RejectDangling(const mapping::TablePlan& t, const FieldPlan& f,
                        const mapping::TablePlan& to) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        tx_.Exec(
            fmt::format("INSERT INTO airpg.rejects (run_id, base_id, table_id, record_id, "
                        "field_id, raw_value, reason) "
                        "SELECT $1::bigint, $2, $3, l.from_record, l.field_id, l.to_record, "
                        "'link to ' || l.to_record || ', which is not a record of table ' || "
                        "$4 FROM {} l WHERE l.field_id = $5 AND NOT EXISTS "
                        "(SELECT 1 FROM {} b WHERE b.airtable_id = l.to_record)",
                        Name("_links"), Name(to.table_name)),
            {std::to_string(ctx_.run_id), ctx_.base_id, t.table_id, to.airtable_name, f.field.id}));
    rejected_ += rows.AffectedRows();
    return Status::Ok();
  }

  LoadContext& ctx_;
  pg::Transaction& tx_;
  int64_t rejected_ = 0;
};

}  // namespace

Result<int64_t> FinishStaging(LoadContext& ctx, const mapping::SchemaDdl& ddl) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(*ctx.conn));
  AIRPG_ASSIGN_OR_RETURN(int64_t rejected, Finisher(ctx, tx).Run(ddl));
  AIRPG_RETURN_IF_ERROR(
      tx.Run("UPDATE airpg.runs SET status = 'loaded', heartbeat_at = now() "
             "WHERE run_id = $1::bigint",
             {std::to_string(ctx.run_id)}));
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return rejected;
}

}  // namespace airpg::migrate
