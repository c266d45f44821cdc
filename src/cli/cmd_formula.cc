#include "cli/cmd_formula.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/schema.h"
#include "cli/airtable_access.h"
#include "cli/base_checks.h"
#include "cli/database.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"
#include "formula/civil_time.h"
#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/record.h"
#include "formula/sql_compiler.h"
#include "formula/type_checker.h"
#include "mapping/catalog_view.h"
#include "mapping/schema_plan.h"
#include "pg/connection.h"
#include "pg/embedded_cluster.h"
#include "pg/quote.h"
#include "sync/live_schema.h"

namespace airpg::cli {
namespace {

Result<std::string> ReadSchemaFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The base's schema from --schema-file or, with --base, from Airtable; nullopt with neither.
Result<std::optional<airtable::BaseSchema>> LoadSchema(const Result<Config>& config,
                                                       const FormulaOptions& options) {
  if (!options.base.empty()) {
    if (!options.schema_file.empty()) {
      return InvalidArgumentError("--base and --schema-file both name a schema: pass one");
    }
    if (!config.ok()) return config.status();
    AIRPG_ASSIGN_OR_RETURN(std::string base_id, ResolveBaseId(*config, options.base));
    AIRPG_ASSIGN_OR_RETURN(AirtableAccess airtable, OpenAirtable(*config));
    Result<airtable::BaseSchema> schema =
        airtable.client->GetBaseSchema(base_id, false, airtable::Priority::kIncremental);
    if (!schema.ok()) {
      return ExplainBaseFailure(*airtable.client, base_id, schema.status())
          .WithContext("reading the schema of " + base_id);
    }
    return std::optional<airtable::BaseSchema>(std::move(schema).value());
  }
  if (options.schema_file.empty()) return std::optional<airtable::BaseSchema>();
  AIRPG_ASSIGN_OR_RETURN(std::string text, ReadSchemaFile(options.schema_file));
  Result<airtable::BaseSchema> schema = airtable::ParseBaseSchema(text);
  if (!schema.ok()) {
    return InvalidArgumentError(fmt::format("{}: not a Meta API schema: {}", options.schema_file,
                                            schema.status().message()));
  }
  return std::optional<airtable::BaseSchema>(std::move(schema).value());
}

// The base's schema (nullopt without one) and the table to check against
// (empty without a schema).
struct Target {
  std::optional<airtable::BaseSchema> schema;
  airtable::Table table;
};

Result<Target> LoadTarget(const Result<Config>& config, const FormulaOptions& options) {
  Target target;
  AIRPG_ASSIGN_OR_RETURN(target.schema, LoadSchema(config, options));
  if (!target.schema) {
    if (!options.table.empty()) {
      return InvalidArgumentError("--table needs --schema-file or --base");
    }
    return target;
  }
  std::string source = options.base.empty() ? options.schema_file : options.base;
  const std::vector<airtable::Table>& tables = target.schema->tables;
  if (options.table.empty()) {
    if (tables.size() != 1) {
      return InvalidArgumentError(
          fmt::format("{} has {} tables: name one with --table", source, tables.size()));
    }
    target.table = tables.front();
    return target;
  }
  const airtable::Table* table = target.schema->FindTable(options.table);
  if (table == nullptr) {
    return InvalidArgumentError(fmt::format("no table \"{}\" in {}", options.table, source));
  }
  target.table = *table;
  return target;
}

// The names the catalog gave the base's tables and columns when it is
// migrated into the configured database; none (a fresh migration's names)
// when it is not, or the database cannot be reached. Only reads: connects
// without creating the catalog or starting the embedded cluster.
mapping::KnownNames CatalogNames(const Result<Config>& config, const FormulaOptions& options) {
  if (options.base.empty() || !config.ok()) return {};
  Result<std::string> base_id = ResolveBaseId(*config, options.base);
  Result<DatabaseTarget> db = ResolveDatabase(*config);
  if (!base_id.ok() || !db.ok()) return {};
  if (db->embedded) {
    pg::EmbeddedCluster cluster(EmbeddedOptionsFor(*config));
    Result<pg::ClusterState> state = cluster.State();
    if (!state.ok() || *state != pg::ClusterState::kRunning) return {};
  }
  Result<pg::Connection> conn = pg::Connection::Open(db->url);
  if (!conn.ok()) return {};
  Result<mapping::CatalogView> view = sync::ReadCatalogView(*conn, *base_id);
  if (!view.ok()) return {};
  return mapping::KnownNamesOf(*view);
}

// Column by field id, as the schema plan names them (mapping/schema_plan.h):
// the same rules and catalog names migrate uses, so a single link is its FK
// column (`client_id`), a renamed field keeps its column.
Result<std::map<std::string, std::string>> ColumnsOf(const Result<Config>& config,
                                                     const FormulaOptions& options,
                                                     const Target& target) {
  std::map<std::string, std::string> column_of;
  if (!target.schema) return column_of;
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaPlan plan,
                         mapping::PlanSchema(*target.schema, CatalogNames(config, options)));
  const mapping::TablePlan* table = plan.FindTable(target.table.id);
  if (table == nullptr) return InternalError("the plan lacks table " + target.table.id);
  for (const mapping::FieldPlan& f : table->fields) column_of[f.field.id] = f.column_name;
  return column_of;
}

// The formula's view of the table: field types, and result types of computed fields.
formula::Schema FormulaSchema(const airtable::Table& table) {
  formula::Schema schema;
  for (const airtable::Field& f : table.fields) {
    std::string result_type;
    if (!f.options_json.empty()) {
      nlohmann::json options = nlohmann::json::parse(f.options_json, nullptr, false);
      if (options.is_object() && options.contains("result") && options["result"].is_object() &&
          options["result"].contains("type") && options["result"]["type"].is_string()) {
        result_type = options["result"]["type"].get<std::string>();
      }
    }
    schema.Add({f.id, f.name, f.type_name, result_type});
  }
  return schema;
}

// An unknown field without a schema usually means the schema was forgotten.
Status WithSchemaHint(const FormulaOptions& options, const Status& status) {
  if (!options.schema_file.empty() || !options.base.empty() ||
      status.message().find("unknown field") == std::string::npos) {
    return status;
  }
  return Status(status.code(),
                std::string(status.message()) +
                    " (no schema given: pass --schema-file FILE or --base app… with --table)");
}

// Without a schema, `eval` takes the fields from the record itself, typed by
// their JSON values, so `formula eval '{Amount} * 2' --record '{"Amount": 21}'`
// works as written. Objects (collaborators, attachments) need a schema.
formula::Schema SchemaFromRecord(const std::string& record_json) {
  formula::Schema schema;
  nlohmann::json record = nlohmann::json::parse(record_json, nullptr, false);
  if (!record.is_object()) return schema;
  int n = 0;
  for (const auto& [name, cell] : record.items()) {
    std::string type;
    if (cell.is_number()) {
      type = "number";
    } else if (cell.is_boolean()) {
      type = "checkbox";
    } else if (cell.is_string() || cell.is_null()) {
      type = "singleLineText";
    } else if (cell.is_array() &&
               std::all_of(cell.begin(), cell.end(), [](const auto& v) { return v.is_string(); })) {
      type = "multipleSelects";
    } else {
      continue;
    }
    schema.Add({fmt::format("fldFromRecord{:04}", n++), name, type, ""});
  }
  return schema;
}

Result<int64_t> NowMillis(const std::string& now) {
  if (now.empty()) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::optional<int64_t> millis = formula::ParseIsoMillis(now);
  if (!millis)
    return InvalidArgumentError(fmt::format("--now \"{}\" is not an ISO date-time", now));
  return *millis;
}

int Check(const FormulaOptions& options, const formula::Node& root, const formula::Schema& schema) {
  Result<formula::Type> type = formula::CheckTypes(root, schema);
  if (!type.ok()) return Fail(WithSchemaHint(options, type.status()), kExitUsage);
  if (options.json) {
    std::cout << nlohmann::json{{"ok", true}, {"type", formula::TypeName(*type)}}.dump() << "\n";
  } else {
    std::cout << "ok: the formula gives " << formula::TypeName(*type) << "\n";
  }
  return kExitOk;
}

int Eval(const FormulaOptions& options, const formula::Node& root, const formula::Schema& schema) {
  Result<formula::Record> record =
      formula::RecordFromJson(schema, options.record_json.empty() ? "{}" : options.record_json);
  if (!record.ok()) {
    return Fail(WithSchemaHint(options, record.status().WithContext("--record")), kExitUsage);
  }
  Result<int64_t> now = NowMillis(options.now);
  if (!now.ok()) return Fail(now.status(), kExitUsage);
  formula::EvalOptions eval;
  eval.now_millis = *now;
  eval.zones = formula::SystemTimeZones();
  Result<formula::Value> value = formula::Evaluate(root, schema, *record, eval);
  if (!value.ok()) {
    return Fail(WithSchemaHint(options, value.status()), ExitCodeFor(value.status()));
  }
  if (options.json) {
    std::cout << nlohmann::json{{"value", formula::DebugString(*value)},
                                {"text", formula::ToText(*value)},
                                {"truthy", formula::Truthy(*value)}}
                     .dump()
              << "\n";
  } else {
    std::cout << formula::DebugString(*value) << "\n";
  }
  return kExitOk;
}

int Sql(const Result<Config>& config, const FormulaOptions& options, const formula::Node& root,
        const Target& target, const formula::Schema& schema) {
  Result<std::map<std::string, std::string>> column_of = ColumnsOf(config, options, target);
  if (!column_of.ok()) return Fail(column_of.status(), ExitCodeFor(column_of.status()));
  formula::ColumnResolver resolve =
      [&](std::string_view name_or_id) -> Result<formula::ResolvedColumn> {
    const formula::FieldInfo* field = schema.Find(name_or_id);
    if (field == nullptr) {
      return InvalidArgumentError(fmt::format("unknown field \"{}\"", name_or_id));
    }
    return formula::ResolvedColumn{"t." + pg::QuoteIdentifier((*column_of)[field->id]), *field,
                                   false};
  };
  Result<int64_t> now = NowMillis(options.now);
  if (!now.ok()) return Fail(now.status(), kExitUsage);
  formula::SqlOptions sql_options;
  sql_options.now_millis = *now;
  sql_options.zones = formula::SystemTimeZones();
  sql_options.record_id_sql = "t.\"airtable_id\"";
  sql_options.created_time_sql = "t.\"airtable_created_time\"";
  sql_options.last_modified_sql = "t.\"airtable_modified_time\"";
  Result<formula::CompiledSql> sql = options.filter
                                         ? formula::CompileFilterToSql(root, resolve, sql_options)
                                         : formula::CompileToSql(root, resolve, sql_options);
  if (!sql.ok()) return Fail(WithSchemaHint(options, sql.status()), ExitCodeFor(sql.status()));
  if (options.json) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : sql->params) params.push_back(p ? nlohmann::json(*p) : nlohmann::json());
    std::cout << nlohmann::json{{"sql", sql->sql}, {"params", params}}.dump() << "\n";
  } else {
    std::cout << sql->sql << "\n";
    for (size_t i = 0; i < sql->params.size(); ++i) {
      std::cout << fmt::format("  ${} = {}\n", i + 1,
                               sql->params[i] ? nlohmann::json(*sql->params[i]).dump() : "NULL");
    }
  }
  return kExitOk;
}

}  // namespace

int RunFormula(const Result<Config>& config, const FormulaOptions& options) {
  Result<Target> target = LoadTarget(config, options);
  // A bad flag or file is usage; Airtable unreachable or refusing the token is not.
  if (!target.ok()) return Fail(target.status(), ExitCodeFor(target.status()));
  bool no_schema = options.schema_file.empty() && options.base.empty();
  formula::Schema schema = no_schema && options.action == "eval" && !options.record_json.empty()
                               ? SchemaFromRecord(options.record_json)
                               : FormulaSchema(target->table);
  Result<formula::NodePtr> root = formula::Parse(options.formula);
  // The formula is the command's input: one that does not parse is bad input.
  if (!root.ok()) return Fail(root.status(), kExitUsage);
  if (options.action == "check") return Check(options, **root, schema);
  if (options.action == "eval") return Eval(options, **root, schema);
  if (options.action == "sql") return Sql(config, options, **root, *target, schema);
  return Fail(InvalidArgumentError("unknown formula action " + options.action), kExitUsage);
}

}  // namespace airpg::cli
