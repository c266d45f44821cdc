#include "migrate/keep_step.h"

#include <fmt/core.h>

#include <chrono>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "pg/quote.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

using mapping::FieldPlan;
using mapping::LinkRole;
using mapping::Storage;

class Keeper {
 public:
  Keeper(LoadContext& ctx, const RunPlan& run, const mapping::TablePlan& table, pg::Transaction& tx)
      : ctx_(ctx), run_(run), table_(table), tx_(tx), live_(run.live->schema) {}

  Result<TableSummary> Run() {
    auto started = std::chrono::steady_clock::now();
    TableSummary summary;
    summary.table_id = table_.table_id;
    summary.table_name = table_.table_name;
    summary.kept = true;
    AIRPG_ASSIGN_OR_RETURN(summary.imported, CopyRows());
    for (const auto& f : table_.fields) AIRPG_RETURN_IF_ERROR(CopyReferences(f));
    AIRPG_ASSIGN_OR_RETURN(summary.attachments, CopyAttachments());
    AIRPG_ASSIGN_OR_RETURN(summary.rejected, CopyLedger());
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    AIRPG_RETURN_IF_ERROR(
        tx_.Run("INSERT INTO airpg.run_tables (run_id, table_id, status, records_read, imported, "
                "rejected, attachments, seconds) VALUES ($1::bigint, $2, 'loaded', 0, $3::bigint, "
                "$4::bigint, $5::bigint, $6::float8) ON CONFLICT (run_id, table_id) DO UPDATE SET "
                "status = 'loaded', imported = EXCLUDED.imported, rejected = EXCLUDED.rejected, "
                "attachments = EXCLUDED.attachments, seconds = EXCLUDED.seconds",
                {std::to_string(ctx_.run_id), table_.table_id, std::to_string(summary.imported),
                 std::to_string(summary.rejected), std::to_string(summary.attachments),
                 fmt::format("{:.3f}", summary.seconds)}));
    return summary;
  }

 private:
  std::string Staging(std::string_view name) const {
    return QualifiedName(ctx_.staging_schema, name);
  }
  std::string Live(std::string_view name) const { return QualifiedName(live_, name); }
  std::string LiveTableOf(std::string_view table_id) const {
    return Live(run_.plan.FindTable(table_id)->table_name);
  }

  Result<bool> LiveHas(std::string_view relation, std::string_view column = "") {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        tx_.Exec("SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND "
                 "NOT attisdropped AND ($2 = '' OR attname = $2)",
                 {Live(relation), std::string(column)}));
    return !rows.empty();
  }

  // Every column both tables have with the same type, ids included (rows
  // keep their id: other tables and applications refer to it). Foreign keys
  // are left out: they hold the live tables' ids, and the finish step sets
  // them from the references; generated columns compute themselves.
  Result<int64_t> CopyRows() {
    std::vector<std::optional<std::string>> skip;
    for (const auto& f : table_.fields) {
      if (f.link_role == LinkRole::kForeignKey) skip.push_back(f.column_name);
    }
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows columns,
        tx_.Exec("SELECT s.attname FROM pg_attribute s JOIN pg_attribute l ON l.attname = "
                 "s.attname AND format_type(l.atttypid, l.atttypmod) = format_type(s.atttypid, "
                 "s.atttypmod) WHERE s.attrelid = to_regclass($1) AND l.attrelid = to_regclass($2) "
                 "AND s.attnum > 0 AND l.attnum > 0 AND NOT s.attisdropped AND NOT l.attisdropped "
                 "AND s.attgenerated = '' AND NOT (s.attname = ANY($3::text[])) ORDER BY s.attnum",
                 {Staging(table_.table_name), Live(table_.table_name), pg::ArrayLiteral(skip)}));
    if (columns.empty()) return int64_t{0};
    std::string list;
    for (int i = 0; i < columns.size(); ++i) {
      list += (i ? ", " : "") + QuoteIdentifier(columns.Get(i, 0));
    }
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows copied,
        tx_.Exec(fmt::format("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}",
                             Staging(table_.table_name), list, list, Live(table_.table_name))));
    // New rows (a sync inserting after the swap) number on from the kept ids.
    AIRPG_RETURN_IF_ERROR(tx_.Run(
        fmt::format("SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) "
                    "FROM {}), 0) + 1, false)",
                    Staging(table_.table_name)),
        {Staging(table_.table_name)}));
    return copied.AffectedRows();
  }

  // The references a load of this table would have written to _links, read
  // back from the live relations by Airtable ids.
  Status CopyReferences(const FieldPlan& f) {
    std::string sql;
    std::string self = Live(table_.table_name);
    if (f.link_role == LinkRole::kForeignKey) {
      AIRPG_ASSIGN_OR_RETURN(bool has, LiveHas(table_.table_name, f.column_name));
      const mapping::TablePlan* to = run_.plan.FindTable(f.linked_table_id);
      if (!has || to == nullptr) return Status::Ok();
      AIRPG_ASSIGN_OR_RETURN(bool target, LiveHas(to->table_name));
      if (!target) return Status::Ok();
      sql = fmt::format(
          "SELECT $1, a.airtable_id, 0, b.airtable_id FROM {} a JOIN {} b ON b.id = a.{} "
          "WHERE a.airtable_id IS NOT NULL AND b.airtable_id IS NOT NULL",
          self, LiveTableOf(f.linked_table_id), QuoteIdentifier(f.column_name));
    } else if (f.link_role == LinkRole::kJunction || f.link_role == LinkRole::kJunctionInverse) {
      AIRPG_ASSIGN_OR_RETURN(bool has, LiveHas(f.relation_table));
      if (!has || run_.plan.FindTable(f.linked_table_id) == nullptr) return Status::Ok();
      AIRPG_ASSIGN_OR_RETURN(bool target,
                             LiveHas(run_.plan.FindTable(f.linked_table_id)->table_name));
      if (!target) return Status::Ok();
      bool owner = f.link_role == LinkRole::kJunction;
      // The inverse side's positions are its own; a link only the owner's
      // cell listed has none there, and no row here (as a load would).
      sql = fmt::format(
          "SELECT $1, a.airtable_id, j.{pos}, b.airtable_id FROM {j} j JOIN {a} a ON a.id = j.{me} "
          "JOIN {b} b ON b.id = j.{other} WHERE j.{pos} IS NOT NULL AND a.airtable_id IS NOT "
          "NULL AND b.airtable_id IS NOT NULL",
          fmt::arg("pos", owner ? "position" : "inverse_position"),
          fmt::arg("j", Live(f.relation_table)), fmt::arg("a", self),
          fmt::arg("b", LiveTableOf(f.linked_table_id)),
          fmt::arg("me", owner ? "from_id" : "to_id"),
          fmt::arg("other", owner ? "to_id" : "from_id"));
    } else if (f.column.storage == Storage::kUserJunction) {
      AIRPG_ASSIGN_OR_RETURN(bool has, LiveHas(f.relation_table));
      if (!has) return Status::Ok();
      sql = fmt::format(
          "SELECT $1, a.airtable_id, j.position, j.user_id FROM {} j JOIN {} a ON a.id = "
          "j.record_id WHERE a.airtable_id IS NOT NULL",
          Live(f.relation_table), self);
    } else {
      return Status::Ok();
    }
    return tx_.Run(fmt::format("INSERT INTO {} (field_id, from_record, position, to_record) {}",
                               Staging("_links"), sql),
                   {f.field.id});
  }

  Result<int64_t> CopyAttachments() {
    return blobs::CopyTableAttachments(tx_.connection(), live_, ctx_.staging_schema,
                                       table_.table_id);
  }

  // The live run's ledger rows of this table move to this run (verify skips
  // the cells they name), except those the finish step writes again: links
  // to missing records, and links a refreshed table's load reported here.
  Result<int64_t> CopyLedger() {
    std::vector<std::optional<std::string>> redone;
    for (const auto& f : table_.fields) {
      if (f.link_role == LinkRole::kForeignKeyInverse && run_.refreshed.count(f.linked_table_id)) {
        redone.push_back(f.field.id);
      }
    }
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        tx_.Exec("INSERT INTO airpg.rejects (run_id, base_id, table_id, record_id, field_id, "
                 "raw_value, reason, created_at) SELECT $1::bigint, base_id, table_id, record_id, "
                 "field_id, raw_value, reason, created_at FROM airpg.rejects WHERE run_id = "
                 "$2::bigint AND table_id = $3 AND reason NOT LIKE 'link to %' AND "
                 "(field_id IS NULL OR NOT (field_id = ANY($4::text[])))",
                 {std::to_string(ctx_.run_id), std::to_string(run_.live->run_id), table_.table_id,
                  pg::ArrayLiteral(redone)}));
    return rows.AffectedRows();
  }

  LoadContext& ctx_;
  const RunPlan& run_;
  const mapping::TablePlan& table_;
  pg::Transaction& tx_;
  std::string live_;
};

}  // namespace

Result<TableSummary> KeepTable(LoadContext& ctx, const RunPlan& run,
                               const mapping::TablePlan& table) {
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(*ctx.conn));
  AIRPG_ASSIGN_OR_RETURN(TableSummary summary, Keeper(ctx, run, table, tx).Run());
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  if (ctx.on_progress) ctx.on_progress(summary);
  return summary;
}

}  // namespace airpg::migrate
