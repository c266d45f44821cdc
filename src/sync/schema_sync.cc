#include "sync/schema_sync.h"

#include <fmt/core.h>

#include <set>

#include <nlohmann/json.hpp>

#include "base/sql_identifier.h"
#include "blobs/attachment_rows.h"
#include "mapping/live_view.h"
#include "mapping/plan_json.h"
#include "mapping/schema_change_ddl.h"
#include "pg/catalog_rows.h"
#include "pg/transaction.h"
#include "sync/computed_views.h"
#include "sync/live_schema.h"
#include "sync/schema_change_lock.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

using mapping::ChangeKind;
using mapping::SchemaChange;

// The catalog rows of one table and, for a field change, that one field, as
// the plan after the change has them.
std::string CatalogJson(const mapping::SchemaDiff& diff, const SchemaChange& change) {
  mapping::SchemaPlan sub;
  mapping::TablePlan table = *diff.after.FindTable(change.table_id);
  table.fields.clear();
  if (!change.field_id.empty())
    table.fields.push_back(*diff.after.FindField(change.field_id).second);
  sub.tables.push_back(std::move(table));
  return mapping::PlanJson(sub);
}

class Applier {
 public:
  Applier(pg::Transaction& tx, std::string base_id, const mapping::SchemaDiff& diff,
          std::string schema, const SchemaSyncOptions& options)
      : tx_(tx),
        base_id_(std::move(base_id)),
        diff_(diff),
        schema_(std::move(schema)),
        options_(options) {}

  Status Apply(const SchemaChange& change) {
    mapping::ChangeDdl ddl =
        mapping::BuildChangeDdl(diff_, change, schema_, {options_.drop_removed});
    for (const auto& statement : ddl.statements) AIRPG_RETURN_IF_ERROR(tx_.Run(statement));
    for (const auto& c : ddl.comments) {
      pg::Param column = c.column.empty() ? pg::Param() : pg::Param(c.column);
      AIRPG_RETURN_IF_ERROR(
          tx_.Run("SELECT airpg.comment_on($1, $2, $3, $4)", {schema_, c.table, column, c.text}));
    }
    AIRPG_RETURN_IF_ERROR(UpdateCatalog(change));
    if (change.kind == ChangeKind::kFieldOptionsChanged) return Status::Ok();  // no DDL
    return tx_.Run("INSERT INTO airpg.schema_versions (base_id, change, ddl) VALUES ($1, $2, $3)",
                   {base_id_, change.description, mapping::RenderChangeDdl(ddl, schema_)});
  }

 private:
  Status UpdateCatalog(const SchemaChange& change) {
    if (change.kind != ChangeKind::kFieldRemoved)
      return pg::UpsertCatalogRows(tx_, base_id_, CatalogJson(diff_, change));
    if (!options_.drop_removed) {
      return tx_.Run("UPDATE airpg.fields SET removed_at = now() WHERE field_id = $1",
                     {change.field_id});
    }
    AIRPG_RETURN_IF_ERROR(
        blobs::DeleteFieldAttachments(tx_.connection(), schema_, change.field_id));
    return tx_.Run("DELETE FROM airpg.fields WHERE field_id = $1", {change.field_id});
  }

  pg::Transaction& tx_;
  std::string base_id_;
  const mapping::SchemaDiff& diff_;
  std::string schema_;
  const SchemaSyncOptions& options_;
};

// The columns of a view, in order; none when there is no such view.
Result<std::vector<std::string>> ReadViewColumns(pg::Transaction& tx, const std::string& schema,
                                                 const std::string& view) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
              "WHERE c.oid = to_regclass($1) AND c.relkind = 'v' AND a.attnum > 0 AND NOT "
              "a.attisdropped ORDER BY a.attnum",
              {QualifiedName(schema, view)}));
  std::vector<std::string> out;
  for (int i = 0; i < rows.size(); ++i) out.emplace_back(rows.Get(i, 0));
  return out;
}

SchemaSyncSummary Summarise(const mapping::SchemaDiff& diff) {
  SchemaSyncSummary out;
  std::set<std::string> reread;
  for (const auto& c : diff.changes) {
    (c.applies ? out.applied : out.reported).push_back(c);
    if (c.applies && c.reread && reread.insert(c.table_id).second)
      out.reread_table_ids.push_back(c.table_id);
  }
  out.warnings = diff.warnings;
  return out;
}

std::string EventDetail(const SchemaSyncSummary& summary) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : summary.applied) {
    changes.push_back({{"kind", mapping::ChangeKindName(c.kind)},
                       {"table_id", c.table_id},
                       {"field_id", c.field_id},
                       {"change", c.description}});
  }
  return nlohmann::json{{"changes", changes}, {"reread", summary.reread_table_ids}}.dump();
}

}  // namespace

Result<SchemaSyncSummary> ApplySchemaChanges(pg::Connection& conn, std::string_view base_id,
                                             const airtable::BaseSchema& current,
                                             const SchemaSyncOptions& options) {
  std::string base(base_id);
  // Cheap when nothing changed: no transaction, no lock.
  AIRPG_ASSIGN_OR_RETURN(mapping::CatalogView view, ReadCatalogView(conn, base_id));
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaDiff diff, mapping::DiffSchema(view, current));
  if (!diff.HasApplicable()) return Summarise(diff);

  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx,
                         BeginSchemaChange(conn, base_id, options.lock_timeout));
  // Again under the lock: the catalog may have moved since the first look.
  AIRPG_ASSIGN_OR_RETURN(view, ReadCatalogView(tx.connection(), base_id));
  AIRPG_ASSIGN_OR_RETURN(diff, mapping::DiffSchema(view, current));
  SchemaSyncSummary summary = Summarise(diff);
  // The live-rows views, kept right in this transaction (mapping/live_view.h):
  // dropped before a change that would break them, altered or created after.
  std::vector<std::string> after_changes;
  for (const auto& table : diff.after.tables) {
    // A catalogued table the live schema does not hold has no rows to show.
    const mapping::CatalogTable* live = view.FindTable(table.table_id);
    if (live == nullptr || live->columns.empty()) continue;
    const mapping::TablePlan* before = diff.before.FindTable(table.table_id);
    std::vector<std::string> view_columns;
    if (before != nullptr) {
      AIRPG_ASSIGN_OR_RETURN(view_columns, ReadViewColumns(tx, view.schema, before->live_view));
    }
    mapping::LiveViewUpkeep upkeep =
        mapping::PlanLiveViewUpkeep(before, &table, view.schema, view_columns);
    for (const auto& statement : upkeep.before) AIRPG_RETURN_IF_ERROR(tx.Run(statement));
    after_changes.insert(after_changes.end(), upkeep.after.begin(), upkeep.after.end());
  }
  Applier applier(tx, base, diff, view.schema, options);
  AIRPG_RETURN_IF_ERROR(DropComputedViews(tx.connection(), view));
  for (const auto& change : summary.applied) {
    Status applied = applier.Apply(change);
    if (!applied.ok()) {
      return Status(applied.code(),
                    fmt::format("base {}: {}: {}", base_id, change.description, applied.message()));
    }
  }
  for (const auto& statement : after_changes) AIRPG_RETURN_IF_ERROR(tx.Run(statement));
  AIRPG_RETURN_IF_ERROR(CreateComputedViews(tx.connection(), base_id));
  // The full read a change asks for is owed until a poll has done it: the
  // poll reads everything when the watermark is -infinity (safety_poll.h),
  // and the mark commits with the DDL, so a kill in between loses nothing.
  for (const auto& table_id : summary.reread_table_ids) {
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.sync_tables (table_id, base_id, poll_watermark) "
               "VALUES ($1, $2, '-infinity') ON CONFLICT (table_id) DO UPDATE SET "
               "poll_watermark = '-infinity'",
               {table_id, base}));
  }
  if (!summary.applied.empty()) {
    SyncEvent event;
    event.base_id = base;
    event.kind = "schema";
    event.detail_json = EventDetail(summary);
    AIRPG_RETURN_IF_ERROR(RecordEvent(tx.connection(), event));
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return summary;
}

Result<SchemaSyncSummary> SyncSchema(airtable::Client& client, pg::Connection& conn,
                                     std::string_view base_id, const SchemaSyncOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                         client.GetBaseSchema(base_id, false, airtable::Priority::kBackfill));
  return ApplySchemaChanges(conn, base_id, schema, options);
}

Result<SchemaSyncSummary> RefreshLiveBase(airtable::Client& client, pg::Connection& conn,
                                          LiveBase& base, const SchemaSyncOptions& options) {
  AIRPG_ASSIGN_OR_RETURN(SchemaSyncSummary summary,
                         SyncSchema(client, conn, base.base_id, options));
  std::vector<std::string> warnings;
  AIRPG_ASSIGN_OR_RETURN(base, LoadLiveBase(conn, base.base_id, &warnings));
  summary.warnings.insert(summary.warnings.end(), warnings.begin(), warnings.end());
  return summary;
}

bool PayloadChangesSchema(const airtable::Payload& payload) {
  if (!payload.destroyed_table_ids.empty()) return true;
  for (const auto& t : payload.tables) {
    if (t.created_table || !t.created_fields_json.empty() || !t.changed_fields_json.empty() ||
        !t.destroyed_field_ids.empty() || !t.changed_metadata_json.empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace airpg::sync
