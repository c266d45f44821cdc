#include "api/record_reader.h"

#include <fmt/core.h>

#include <map>
#include <set>

#include "airtable/wire/cell_text.h"
#include "airtable/wire/json_text.h"
#include "api/cell_objects.h"
#include "api/keyset_token.h"
#include "base/sql_identifier.h"
#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/record.h"
#include "formula/sql_compiler.h"
#include "formula/time_zone.h"
#include "formula/type_checker.h"
#include "mapping/row_cells.h"
#include "pg/outbox_keys.h"
#include "pg/quote.h"
#include "pg/view_snapshots.h"

namespace airpg::api {
namespace {

using airtable::wire::ApiError;
using airtable::wire::ApiResult;
using airtable::wire::Json;
using airtable::wire::ListParams;
using airtable::wire::RenderOptions;
using airtable::wire::Unprocessable;
using mapping::CellExpression;
using mapping::CellFromText;
using mapping::FieldPlan;
using mapping::Storage;
using mapping::TablePlan;

constexpr char kInvalidFormula[] =
    "The formula for filtering records is invalid: Invalid formula. Please check your formula "
    "text.";
// Rows read per round when a filter is evaluated in process.
constexpr int kScanBatch = 500;

const formula::TimeZoneLookup& Zones() {
  static const formula::TimeZoneLookup zones = formula::SystemTimeZones();
  return zones;
}

bool ZoneOffset(const std::string& zone, int64_t utc_seconds, int* offset) {
  if (zone == "utc" || zone == "UTC") {
    *offset = 0;
    return true;
  }
  const formula::TimeZone* found = Zones()(zone);
  if (found == nullptr) return false;
  *offset = found->OffsetAt(utc_seconds * 1000);
  return true;
}

// The SQL types a sort compares as themselves; others sort by their text.
bool TypedSort(const FieldPlan& f) {
  if (!f.HasColumn() || f.column.cell_array) return false;
  if (f.column.storage != Storage::kColumn) return false;
  static const std::set<std::string, std::less<>> kTyped = {
      "numeric", "bigint", "integer",     "double precision",
      "boolean", "date",   "timestamptz", "interval"};
  return kTyped.count(f.column.sql_type) > 0;
}

// Shifts every $k in a compiled expression by `offset` (its literals are
// all parameters; quoted identifiers are skipped).
std::string Renumber(std::string_view sql, size_t offset) {
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '$' && i + 1 < sql.size() &&
        std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
      out += '$' + std::to_string(std::stoul(std::string(sql.substr(i + 1, j - i - 1))) + offset);
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

formula::FieldInfo InfoOf(const FieldPlan& f) {
  std::string result_type;
  const auto& options = f.field.options_json;
  if (!options.empty()) {
    Json parsed = Json::parse(options, nullptr, false);
    result_type = airtable::wire::StringAt(airtable::wire::MemberAt(parsed, "result"), "type");
  }
  return {f.field.id, f.field.name, f.field.type_name, result_type};
}

formula::Schema SchemaOf(const TablePlan& table) {
  formula::Schema schema;
  for (const FieldPlan& f : table.fields) schema.Add(InfoOf(f));
  return schema;
}

void UnknownFields(const formula::Node& node, const formula::Schema& schema, std::string* out) {
  if (node.kind == formula::NodeKind::kField && schema.Find(node.text) == nullptr) {
    *out += (out->empty() ? "" : ", ") + node.text;
  }
  for (const formula::NodePtr& arg : node.args) UnknownFields(*arg, schema, out);
}

struct SortKey {
  std::string sql;   // the ordering expression over `t`
  std::string cast;  // the type a token's value is cast to
  bool descending = false;
};

// The statement shape every read shares: $1 is the schema name (mapping/row_cells.h).
struct Query {
  std::vector<pg::Param> params;
  std::vector<const FieldPlan*> fields;  // cell i is column kFirstCell + sort.size() + i
  std::vector<SortKey> sort;
  std::vector<std::string> where;
  std::string from;
  std::string cells;
  std::string table_param;    // $n holding the table id
  std::string record_id_sql;  // the record's id over `t`
};

constexpr int kFirstKey = 3;  // after id, airtable_id, created millis

Query BaseQuery(const ApiBase& base, const TablePlan& table) {
  Query q;
  q.params.push_back(base.schema);
  for (const FieldPlan& f : table.fields) {
    // Collaborators and attachments as Airtable shows them (cell_objects.h).
    std::optional<std::string> object = CellObjectExpression(base.schema, table, f, q.params);
    q.cells += ", " + (object ? *object : CellExpression(base.schema, base.plan, f, q.params));
    q.fields.push_back(&f);
  }
  q.from = QualifiedName(base.schema, table.table_name);
  q.params.push_back(table.table_id);
  q.table_param = "$" + std::to_string(q.params.size());
  // A row `airpg serve` created answers under its reserved id until the
  // outbox gives it Airtable's (record_writer.h). Reserved ids have
  // Airtable's 17 characters; the outbox's own keys (rows other writers
  // made) are UUIDs, and those rows stay unlisted until pushed.
  std::string reserved = pg::ReservedRowsSql(q.table_param);
  q.record_id_sql = pg::RecordIdSql(q.table_param);
  q.where = {"t.deleted_at IS NULL",
             fmt::format("(t.airtable_id IS NOT NULL OR t.id IN ({}))", reserved),
             "$1::text IS NOT NULL"};
  return q;
}

std::string Param(Query& q, pg::Param value) {
  q.params.push_back(std::move(value));
  return "$" + std::to_string(q.params.size());
}

// The SQL of one page after `after` (none: from the start).
std::string PageSql(Query& q, const KeysetToken* after, int limit) {
  std::vector<std::string> where = q.where;
  bool ascending_values = after != nullptr && !q.sort.empty();
  for (size_t i = 0; after != nullptr && i < q.sort.size(); ++i) {
    if (q.sort[i].descending || !after->sort_values[i]) ascending_values = false;
  }
  if (ascending_values) {
    // Every key ascending and the last row's keys not blank: one row
    // comparison, which the planner turns into an index condition on the
    // sort index (key NULLS FIRST, id) (sort_indexes.h), so a later page
    // starts where the index seeks to instead of filtering the rows before
    // it. Blank keys sort first, so rows with one are before the last row
    // exactly when the comparison is NULL: they are left out, as they must.
    std::string keys, values;
    for (size_t i = 0; i < q.sort.size(); ++i) {
      keys += q.sort[i].sql + ", ";
      values += Param(q, *after->sort_values[i]) + "::" + q.sort[i].cast + ", ";
    }
    where.push_back(fmt::format("ROW({}t.id) > ROW({}{}::bigint)", keys, values,
                                Param(q, std::to_string(after->row_id))));
  } else if (after != nullptr) {
    // Descending keys (the index is read backwards, but ties still go by
    // ascending id) or a blank last key: the expanded form, filtered rather
    // than sought.
    // Strictly after the last row in (keys…, id) order; blanks sort first
    // ascending and last descending, as Airtable's.
    std::vector<std::string> alternatives;
    std::string equal_so_far;
    for (size_t i = 0; i <= q.sort.size(); ++i) {
      std::string step;
      if (i == q.sort.size()) {
        step = "t.id > " + Param(q, std::to_string(after->row_id)) + "::bigint";
      } else {
        const SortKey& key = q.sort[i];
        const std::optional<std::string>& value = after->sort_values[i];
        if (!value) {
          step = key.descending ? "false" : key.sql + " IS NOT NULL";
        } else {
          std::string v = Param(q, *value) + "::" + key.cast;
          step = key.descending ? "(" + key.sql + " < " + v + " OR " + key.sql + " IS NULL)"
                                : key.sql + " > " + v;
        }
      }
      alternatives.push_back(equal_so_far.empty() ? step : equal_so_far + " AND " + step);
      if (i < q.sort.size()) {
        const std::optional<std::string>& value = after->sort_values[i];
        std::string eq = value ? q.sort[i].sql + " = " + Param(q, *value) + "::" + q.sort[i].cast
                               : q.sort[i].sql + " IS NULL";
        equal_so_far = equal_so_far.empty() ? eq : equal_so_far + " AND " + eq;
      }
    }
    std::string any;
    for (const std::string& a : alternatives) any += (any.empty() ? "(" : " OR (") + a + ")";
    where.push_back("(" + any + ")");
  }
  std::string keys, order;
  for (const SortKey& key : q.sort) {
    keys += ", (" + key.sql + ")::text";
    order += key.sql + (key.descending ? " DESC NULLS LAST, " : " ASC NULLS FIRST, ");
  }
  std::string conditions;
  for (const std::string& w : where) conditions += (conditions.empty() ? "" : " AND ") + w;
  // The page's rows are chosen first; the cells (links, attachments:
  // subqueries) are computed over those rows only.
  return fmt::format(
      "SELECT t.id, {}, coalesce((extract(epoch FROM t.airtable_created_time) * "
      "1000)::bigint, 0){}{} FROM (SELECT t.* FROM {} t WHERE {} ORDER BY {}t.id LIMIT {}) t "
      "ORDER BY {}t.id",
      q.record_id_sql, keys, q.cells, q.from, conditions, order, limit, order);
}

struct Row {
  int64_t row_id = 0;
  std::string record_id;
  int64_t created_millis = 0;
  std::vector<std::optional<std::string>> keys;
  // By field (Query::fields order): the V1 cell as canonical JSON text
  // (airtable/wire/json_text.h), written into the answer as is; nullopt
  // when empty or unreadable.
  std::vector<std::optional<std::string>> cells;
};

ApiResult<std::vector<Row>> Fetch(pg::Connection& conn, const Query& q, const std::string& sql) {
  Result<pg::Rows> rows = conn.ExecPrepared(sql, q.params);
  if (!rows.ok()) {
    return ApiError{500, "SERVER_ERROR",
                    "The database could not answer: " + std::string(rows.status().message())};
  }
  std::vector<Row> out;
  out.reserve(static_cast<size_t>(rows->size()));
  int first_cell = kFirstKey + static_cast<int>(q.sort.size());
  for (int r = 0; r < rows->size(); ++r) {
    Row row;
    row.row_id = std::stoll(std::string(rows->Get(r, 0)));
    row.record_id = rows->Get(r, 1);
    row.created_millis = std::stoll(std::string(rows->Get(r, 2)));
    for (size_t k = 0; k < q.sort.size(); ++k) {
      row.keys.push_back(rows->Optional(r, kFirstKey + static_cast<int>(k)));
    }
    row.cells.resize(q.fields.size());
    for (size_t i = 0; i < q.fields.size(); ++i) {
      int col = first_cell + static_cast<int>(i);
      if (rows->IsNull(r, col)) continue;  // every field's NULL is an empty cell
      std::string_view raw = rows->Get(r, col);
      Result<std::optional<std::string>> cell =
          IsCellObjectField(*q.fields[i])
              ? Result<std::optional<std::string>>(std::optional<std::string>(raw))
              : CellFromText(*q.fields[i], raw);
      if (!cell.ok() || !*cell) continue;  // an unreadable cell shows empty
      // The converters' JSON is valid but not always nlohmann's spelling
      // (spaces in Postgres's json, "\u0008" for "\b"): made canonical
      // here, once, instead of parsed into a tree and dumped again.
      std::string text;
      if (airtable::wire::AppendCanonicalJson(text, **cell)) row.cells[i] = std::move(text);
    }
    out.push_back(std::move(row));
  }
  return out;
}

// The cell of field i parsed (null when empty): for cellFormat=string, link
// texts and in-process filters, which need values rather than text.
Json CellValue(const Row& row, size_t i) {
  if (!row.cells[i]) return Json();
  return Json::parse(*row.cells[i], nullptr, false);
}

// The primary text of the linked records of `rows`, for cellFormat=string:
// one query per linked table.
std::map<std::string, std::string> LinkedTexts(pg::Connection& conn, const ApiBase& base,
                                               const TablePlan& table, const std::vector<Row>& rows,
                                               const airtable::wire::TextContext& context) {
  std::map<std::string, std::set<std::string>> wanted;  // table id → record ids
  for (size_t i = 0; i < table.fields.size(); ++i) {
    const FieldPlan& f = table.fields[i];
    if (!mapping::IsLinkField(f)) continue;
    for (const Row& row : rows) {
      Json ids = CellValue(row, i);
      if (!ids.is_array()) continue;
      for (const Json& id : ids) wanted[f.linked_table_id].insert(airtable::wire::AsString(id));
    }
  }
  std::map<std::string, std::string> texts;
  for (const auto& [table_id, ids] : wanted) {
    const TablePlan* linked = base.plan.FindTable(table_id);
    const FieldPlan* primary = linked ? linked->FindField(linked->primary_field_id) : nullptr;
    if (primary == nullptr) continue;
    std::vector<pg::Param> params = {base.schema};
    std::string expression = CellExpression(base.schema, base.plan, *primary, params);
    params.push_back(pg::ArrayLiteral({ids.begin(), ids.end()}));
    Result<pg::Rows> found = conn.Exec(
        fmt::format("SELECT t.airtable_id, {} FROM {} t WHERE $1::text IS NOT NULL AND "
                    "t.airtable_id = ANY(${}::text[])",
                    expression, QualifiedName(base.schema, linked->table_name), params.size()),
        params);
    if (!found.ok()) continue;
    for (int r = 0; r < found->size(); ++r) {
      auto text = found->IsNull(r, 1) ? std::optional<std::string_view>()
                                      : std::optional<std::string_view>(found->Get(r, 1));
      Result<std::optional<std::string>> cell = CellFromText(*primary, text);
      if (!cell.ok() || !*cell) continue;
      Json value = Json::parse(**cell, nullptr, false);
      static const Json kNone;
      texts[std::string(found->Get(r, 0))] =
          airtable::wire::CellText(primary->field.type,
                                   primary->field.options_json.empty()
                                       ? kNone
                                       : Json::parse(primary->field.options_json, nullptr, false),
                                   value, context);
    }
  }
  return texts;
}

// The records of a page, comma-separated. cellFormat=json (the common case)
// writes each cell's text as is; cellFormat=string goes through
// RecordBuilder, which needs the values for their display text.
void RenderInto(std::string& out, pg::Connection& conn, const ApiBase& base, const TablePlan& table,
                const std::vector<Row>& rows, const RenderOptions& options) {
  const size_t start = out.size();
  if (!options.string_format) {
    airtable::wire::RecordTextWriter writer(options);
    size_t cell_bytes = 0;
    for (const Row& row : rows) {
      for (const auto& cell : row.cells) cell_bytes += cell ? cell->size() + 24 : 0;
    }
    out.reserve(out.size() + cell_bytes + rows.size() * 64);
    for (const Row& row : rows) {
      if (out.size() > start) out += ',';
      writer.Begin(out, row.record_id, row.created_millis);
      for (size_t i = 0; i < table.fields.size(); ++i) {
        if (!row.cells[i]) continue;
        const FieldPlan& f = table.fields[i];
        writer.Add(out, {f.field.id, f.field.name, f.field.type}, *row.cells[i]);
      }
      writer.End(out);
    }
    return;
  }
  airtable::wire::TextContext context;
  context.zone_offset = ZoneOffset;
  context.time_zone = options.time_zone;
  context.user_locale = options.user_locale;
  std::map<std::string, std::string> linked = LinkedTexts(conn, base, table, rows, context);
  context.linked_text = [&linked](const Json&, const std::string& record_id) {
    auto it = linked.find(record_id);
    return it == linked.end() ? std::string() : it->second;
  };
  std::vector<Json> field_options;
  for (const FieldPlan& f : table.fields) {
    field_options.push_back(
        f.field.options_json.empty() ? Json() : Json::parse(f.field.options_json, nullptr, false));
  }
  airtable::wire::RecordBuilder builder(options, context);
  for (const Row& row : rows) {
    for (size_t i = 0; i < table.fields.size(); ++i) {
      if (!row.cells[i]) continue;
      const FieldPlan& f = table.fields[i];
      builder.Add({f.field.id, f.field.name, f.field.type, &field_options[i]}, CellValue(row, i));
    }
    if (out.size() > start) out += ',';
    out += builder.Finish(row.record_id, row.created_millis).dump();
  }
}

std::string Render(pg::Connection& conn, const ApiBase& base, const TablePlan& table,
                   const std::vector<Row>& rows, const RenderOptions& options) {
  std::string out;
  RenderInto(out, conn, base, table, rows, options);
  return out;
}

// The filter as SQL, or nullptr when it must be evaluated in process.
struct Filter {
  formula::NodePtr root;
  formula::Schema schema;
  bool in_sql = false;
};

ApiResult<Filter> PlanFilter(Query& q, const TablePlan& table, const std::string& text,
                             int64_t now_millis) {
  Filter filter;
  Result<formula::NodePtr> root = formula::Parse(text);
  if (!root.ok()) return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalidFormula);
  filter.schema = SchemaOf(table);
  std::string unknown;
  UnknownFields(**root, filter.schema, &unknown);
  if (!unknown.empty()) {
    return Unprocessable(
        "INVALID_FILTER_BY_FORMULA",
        "The formula for filtering records is invalid: Unknown field names: " + unknown);
  }
  if (!formula::CheckTypes(**root, filter.schema).ok()) {
    return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalidFormula);
  }
  filter.root = std::move(root).value();
  formula::ColumnResolver resolve =
      [&](std::string_view name_or_id) -> Result<formula::ResolvedColumn> {
    const formula::FieldInfo* info = filter.schema.Find(name_or_id);
    const FieldPlan* f = info ? table.FindField(info->id) : nullptr;
    if (f == nullptr || !f->HasColumn() ||
        (f->column.storage != Storage::kColumn && f->column.storage != Storage::kChoice &&
         f->column.storage != Storage::kChoiceArray) ||
        (f->column.cell_array && f->column.storage != Storage::kChoiceArray)) {
      return UnimplementedError("field is not a plain column");
    }
    return formula::ResolvedColumn{"t." + QuoteIdentifier(f->column_name), *info,
                                   !f->column.read_only};
  };
  formula::SqlOptions options;
  options.now_millis = now_millis;
  options.zones = Zones();
  options.record_id_sql = "t.airtable_id";
  options.created_time_sql = "t.airtable_created_time";
  options.last_modified_sql = "coalesce(t.airtable_modified_time, t.airtable_created_time)";
  Result<formula::CompiledSql> compiled =
      formula::CompileFilterToSql(*filter.root, resolve, options);
  if (compiled.ok()) {
    size_t offset = q.params.size();
    for (auto& p : compiled->params) q.params.push_back(p);
    q.where.push_back("(" + Renumber(compiled->sql, offset) + ")");
    filter.in_sql = true;
  }
  return filter;
}

bool Keep(const Filter& filter, const Query& q, const Row& row, int64_t now_millis) {
  // {field id: cell, …}, empty cells absent.
  std::string cells = "{";
  for (size_t i = 0; i < q.fields.size(); ++i) {
    if (!row.cells[i]) continue;
    if (cells.size() > 1) cells += ',';
    airtable::wire::AppendJsonString(cells, q.fields[i]->field.id);
    cells += ':' + *row.cells[i];
  }
  cells += '}';
  Result<formula::Record> record = formula::RecordFromJson(filter.schema, cells);
  if (!record.ok()) return false;
  record->record_id = row.record_id;
  record->created_millis = row.created_millis;
  formula::EvalOptions options;
  options.now_millis = now_millis;
  options.zones = Zones();
  Result<bool> keep = formula::EvaluateFilter(*filter.root, filter.schema, *record, options);
  return keep.ok() && *keep;
}

// `view` (issue 17, docs/serve.md): its snapshot's members, and rows created
// after the snapshot was read, appended in creation order until the sync
// reads the view again. Without a request sort, in the snapshot's order; a
// request sort overrides it (ties in table order, as the emulator).
void ScopeToView(Query& q, const ApiBase& base, const pg::ViewSnapshot& view,
                 std::vector<std::string>& fingerprint) {
  std::string position = pg::ViewPositionSql(Param(q, base.base_id), q.table_param,
                                             Param(q, view.view_id), "t.airtable_id");
  q.where.push_back(fmt::format("({} IS NOT NULL OR t.airtable_created_time > {}::timestamptz)",
                                position, Param(q, view.refreshed_at)));
  if (q.sort.empty()) q.sort.push_back({"coalesce(" + position + ", 2147483647)", "integer"});
  fingerprint.push_back("view " + view.view_id);
}

// The snapshot of `view` (name or id); nullopt when the table has none.
ApiResult<std::optional<pg::ViewSnapshot>> FindView(pg::Connection& conn, const ApiBase& base,
                                                    const TablePlan& table,
                                                    const std::string& view) {
  Result<std::optional<pg::ViewSnapshot>> found =
      pg::FindViewSnapshot(conn, base.base_id, table.table_id, view);
  if (!found.ok()) {
    return ApiError{500, "SERVER_ERROR",
                    "The database could not answer: " + std::string(found.status().message())};
  }
  return *found;
}

ApiError InvalidOffset(const std::string& offset) {
  return Unprocessable("INVALID_OFFSET_VALUE", "The value of offset " + offset + " is invalid");
}

}  // namespace

namespace {

// A list request planned: request → plan, before any query runs.
struct ListPlan {
  RenderOptions render;
  Query q;
  Filter filter;
  std::vector<std::string> fingerprint;
};

// `view`: the snapshot of params.view (nullptr: none, or not found).
ApiResult<ListPlan> PlanList(const ApiBase& base, const TablePlan& table, const ListParams& params,
                             int64_t now_millis, const pg::ViewSnapshot* view) {
  ListPlan plan;
  RenderOptions& render = plan.render;
  render.by_field_id = params.return_fields_by_field_id;
  render.string_format = params.cell_format == "string";
  render.comment_count = params.comment_count;
  render.time_zone = params.time_zone;
  render.user_locale = params.user_locale;
  for (const std::string& name : params.fields) {
    const FieldPlan* f = FindField(table, name);
    if (f == nullptr) return airtable::wire::UnknownFieldName(name);
    render.only_field_ids.push_back(f->field.id);
  }
  if (!params.view.empty() && view == nullptr) return airtable::wire::ViewNameNotFound(params.view);

  Query& q = plan.q;
  q = BaseQuery(base, table);
  std::vector<std::string>& fingerprint = plan.fingerprint;
  fingerprint = {table.table_id, params.filter_by_formula};
  for (const ListParams::Sort& sort : params.sort) {
    const FieldPlan* f = FindField(table, sort.field);
    if (f == nullptr) return airtable::wire::UnknownFieldName(sort.field);
    SortKey key;
    key.descending = sort.descending;
    if (TypedSort(*f)) {
      key.sql = "t." + QuoteIdentifier(f->column_name);
      key.cast = f->column.sql_type;
    } else {
      std::string text = f->HasColumn() && !f->column.cell_array && !mapping::IsLinkField(*f)
                             ? "t." + QuoteIdentifier(f->column_name) + "::text"
                             : CellExpression(base.schema, base.plan, *f, q.params);
      key.sql = "lower(" + text + ") COLLATE \"C\"";
      key.cast = "text";
    }
    fingerprint.push_back(f->field.id + (sort.descending ? " desc" : " asc"));
    q.sort.push_back(std::move(key));
  }

  if (view != nullptr) ScopeToView(q, base, *view, fingerprint);

  if (!params.filter_by_formula.empty()) {
    WIRE_ASSIGN_OR_RETURN(plan.filter, PlanFilter(q, table, params.filter_by_formula, now_millis));
  }
  return plan;
}

}  // namespace

ApiResult<ListStatement> PlanListStatement(const ApiBase& base, const TablePlan& table,
                                           const ListParams& params, int64_t now_millis) {
  // Without a database the view is taken as an id whose snapshot holds
  // every member (the statement's shape is what is planned).
  pg::ViewSnapshot view{params.view, params.view, "infinity"};
  WIRE_ASSIGN_OR_RETURN(ListPlan plan, PlanList(base, table, params, now_millis,
                                                params.view.empty() ? nullptr : &view));
  ListStatement out;
  out.sql = PageSql(plan.q, nullptr, 101);
  out.params = plan.q.params;
  out.filter_in_sql = plan.filter.in_sql || !plan.filter.root;
  return out;
}

ApiResult<std::string> ListRecords(pg::Connection& conn, const ApiBase& base,
                                   const TablePlan& table, const ListParams& params,
                                   int64_t now_millis, const QueryObserver& observe) {
  std::optional<pg::ViewSnapshot> view;
  if (!params.view.empty()) {
    WIRE_ASSIGN_OR_RETURN(view, FindView(conn, base, table, params.view));
  }
  WIRE_ASSIGN_OR_RETURN(ListPlan plan,
                        PlanList(base, table, params, now_millis, view ? &*view : nullptr));
  const RenderOptions& render = plan.render;
  const Query& q = plan.q;
  const Filter& filter = plan.filter;
  const std::vector<std::string>& fingerprint = plan.fingerprint;

  std::optional<KeysetToken> after;
  int64_t remaining = params.max_records && *params.max_records > 0 ? *params.max_records : -1;
  if (!params.offset.empty()) {
    after = DecodeKeysetToken(params.offset);
    if (!after || after->fingerprint != QueryFingerprint(fingerprint) ||
        after->sort_values.size() != q.sort.size()) {
      return InvalidOffset(params.offset);
    }
    remaining = after->remaining;
  }
  int64_t page_size = params.page_size ? std::max(*params.page_size, 0) : 100;
  if (page_size == 0) page_size = 100;
  int64_t want = remaining >= 0 ? std::min(page_size, remaining) : page_size;

  // Read want + 1 matching rows: the extra one says whether a next page exists.
  std::vector<Row> page;
  bool more = false;
  std::optional<KeysetToken> cursor = after;
  while (true) {
    Query round = q;
    int limit = filter.root && !filter.in_sql ? kScanBatch : static_cast<int>(want) + 1;
    std::string sql = PageSql(round, cursor ? &*cursor : nullptr, limit);
    if (observe) observe(sql, round.params);
    WIRE_ASSIGN_OR_RETURN(std::vector<Row> rows, Fetch(conn, round, sql));
    for (Row& row : rows) {
      if (filter.root && !filter.in_sql && !Keep(filter, q, row, now_millis)) continue;
      if (static_cast<int64_t>(page.size()) == want) {
        more = true;
        break;
      }
      page.push_back(std::move(row));
    }
    if (more || static_cast<int>(rows.size()) < limit) break;
    // In-process filtering: scan on after the last row read.
    KeysetToken next;
    next.sort_values = rows.back().keys;
    next.row_id = rows.back().row_id;
    cursor = next;
  }

  std::string body = "{\"records\":[";
  RenderInto(body, conn, base, table, page, render);
  body += ']';
  int64_t left = remaining >= 0 ? remaining - static_cast<int64_t>(page.size()) : -1;
  if (more && !page.empty() && left != 0) {
    KeysetToken token;
    token.sort_values = page.back().keys;
    token.row_id = page.back().row_id;
    token.remaining = left;
    token.fingerprint = QueryFingerprint(fingerprint);
    body += ",\"offset\":" + Json(EncodeKeysetToken(token)).dump();
  }
  body += "}";
  return body;
}

ApiResult<std::string> GetRecord(pg::Connection& conn, const ApiBase& base, const TablePlan& table,
                                 const std::string& record_id, const RenderOptions& options) {
  Query q = BaseQuery(base, table);
  std::string id = Param(q, record_id);
  q.where.push_back(
      fmt::format("(t.airtable_id = {} OR t.id = {})", id, pg::RowOfKeySql(q.table_param, id)));
  std::string sql = PageSql(q, nullptr, 1);
  WIRE_ASSIGN_OR_RETURN(std::vector<Row> rows, Fetch(conn, q, sql));
  // As Airtable (and the emulator by default): a missing record is 403.
  if (rows.empty()) return airtable::wire::ModelNotFound();
  return Render(conn, base, table, rows, options);
}

}  // namespace airpg::api
