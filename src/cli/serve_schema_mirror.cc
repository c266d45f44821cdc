#include "cli/serve_schema_mirror.h"

#include <vector>

#include "mapping/schema_diff.h"
#include "migrate/migrator.h"
#include "pg/catalog_rows.h"
#include "sync/live_schema.h"

namespace airpg::cli {

api::SchemaMirror MakeSchemaMirror(airtable::Client& client, std::string conninfo,
                                   sync::SchemaSyncOptions options,
                                   sync::AuthorityConfig authority) {
  return [&client, conninfo = std::move(conninfo), options, authority = std::move(authority)](
             pg::Connection& conn, const std::string& base_id) -> Status {
    // At the application's priority: the application waits for this answer.
    AIRPG_ASSIGN_OR_RETURN(airtable::BaseSchema schema,
                           client.GetBaseSchema(base_id, false, airtable::Priority::kWrite));
    AIRPG_ASSIGN_OR_RETURN(sync::SchemaSyncSummary summary,
                           sync::ApplySchemaChanges(conn, base_id, schema, options));
    std::vector<std::pair<std::string, std::string>> tables, fields;
    for (const airtable::Table& table : schema.tables) {
      tables.emplace_back(table.id, table.description);
      for (const airtable::Field& field : table.fields) {
        fields.emplace_back(field.id, field.description);
      }
    }
    AIRPG_RETURN_IF_ERROR(pg::SetCatalogDescriptions(conn, base_id, tables, fields));
    std::vector<std::string> added;
    for (const mapping::SchemaChange& change : summary.reported) {
      if (change.kind == mapping::ChangeKind::kTableAdded) added.push_back(change.table_id);
    }
    if (added.empty()) return Status::Ok();
    migrate::MigrateOptions migrate_options;
    migrate_options.base_id = base_id;
    migrate_options.tables = added;
    // Migrate holds the base's migration lock for its session's life: a
    // connection of its own, closed after, so the pooled one never keeps it.
    AIRPG_ASSIGN_OR_RETURN(pg::Connection own, pg::Connection::Open(conninfo));
    AIRPG_RETURN_IF_ERROR(migrate::Migrate(client, own, conninfo, migrate_options).status());
    AIRPG_ASSIGN_OR_RETURN(sync::LiveBase live, sync::LoadLiveBase(own, base_id));
    return sync::AdoptNewTables(own, live, authority);
  };
}

}  // namespace airpg::cli
