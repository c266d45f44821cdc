#include "api/record_writer.h"

#include <fmt/core.h>

#include <chrono>
#include <map>
#include <optional>

#include "airtable/field_type.h"
#include "airtable/wire/list_params.h"
#include "api/attachment_cells.h"
#include "api/record_reader.h"
#include "base/sql_identifier.h"
#include "mapping/cell_value.h"
#include "pg/outbox_keys.h"
#include "pg/quote.h"
#include "pg/transaction.h"

namespace airpg::api {
namespace {

using airtable::wire::ApiError;
using airtable::wire::ApiResult;
using airtable::wire::Json;
using mapping::FieldPlan;
using mapping::LinkRole;
using mapping::Storage;
using mapping::TablePlan;

// Airtable's limit per write request (API.md §2.4).
constexpr size_t kMaxRecords = 10;

ApiError TooMany(size_t count, const char* verb) {
  return airtable::wire::Unprocessable(
      "INVALID_RECORDS", fmt::format("A maximum of {} records can be {} per request but you have "
                                     "provided {}.",
                                     kMaxRecords, verb, count));
}

ApiError InvalidValue(const std::string& message) {
  return airtable::wire::Unprocessable("INVALID_VALUE_FOR_COLUMN", message);
}

// A Postgres failure as Airtable would say it: the write guard's refusal
// (authority airtable; its message names the setting) is 403, a value the
// column refuses 422, anything else 503 (retry).
ApiError FromStatus(const Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case StatusCode::kPermissionDenied:
      return ApiError{403, "INVALID_PERMISSIONS",
                      "This table is not written from Postgres: " + message};
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      return InvalidValue(message);
    default:
      return ApiError{503, "SERVICE_UNAVAILABLE", "The database is not available"};
  }
}

struct FoundRow {
  int64_t row_id = 0;
  std::string airtable_id;  // "" until the outbox pushed a Postgres-born row
};

// One record's values as columns to set, and links to replace.
struct RowWrite {
  std::vector<std::pair<std::string, pg::Param>> columns;  // column → value (SQL NULL: clear)
  std::vector<std::pair<const FieldPlan*, std::vector<std::string>>> junctions;  // field → rec ids
  // multipleCollaborators: field → usr… ids, in the cell's order.
  std::vector<std::pair<const FieldPlan*, std::vector<std::string>>> collaborators;
  std::vector<std::pair<std::string, std::string>> choices;  // choices table → new name
  // Attachment cells: field → the cell's items (attachment_cells.h).
  std::vector<std::pair<const FieldPlan*, std::vector<AttachmentItem>>> attachments;
};

class Writer {
 public:
  Writer(pg::Transaction& tx, const ApiBase& base, const TablePlan& table, bool typecast)
      : tx_(tx), base_(base), table_(table), typecast_(typecast) {}

  std::string Relation(const TablePlan& t) const {
    return QualifiedName(base_.schema, t.table_name);
  }

  // The live row of `record_id`: its Airtable id, or the id reserved at its
  // create (before or after the outbox pushed it). nullopt: none.
  Result<std::optional<FoundRow>> FindRow(const TablePlan& t, const std::string& record_id) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        tx_.Exec(fmt::format("SELECT t.id, coalesce(t.airtable_id, '') FROM {} t WHERE "
                             "t.deleted_at IS NULL AND (t.airtable_id = $1 OR t.id = {})",
                             Relation(t), pg::RowOfKeySql("$2", "$1")),
                 {record_id, t.table_id}));
    if (rows.empty()) return std::optional<FoundRow>();
    return std::optional<FoundRow>(
        FoundRow{std::stoll(std::string(rows.Get(0, 0))), std::string(rows.Get(0, 1))});
  }

  // The cells of one record (`fields` object) as the row's values. `replace`:
  // every writable field the object does not name is cleared (PUT).
  ApiResult<RowWrite> Convert(const Json& fields, bool replace) {
    if (!fields.is_object()) {
      return airtable::wire::InvalidRequest("Invalid request: \"fields\" must be an object");
    }
    RowWrite out;
    std::map<std::string, const Json*> named;
    for (const auto& [key, value] : fields.items()) {
      const FieldPlan* f = FindField(table_, key);
      if (f == nullptr) return airtable::wire::UnknownFieldName(key);
      if (airtable::IsComputed(f->field.type)) {
        return InvalidValue(fmt::format(
            "Field \"{}\" cannot accept a value because the field is computed", f->field.name));
      }
      named[f->field.id] = &value;
    }
    for (const FieldPlan& f : table_.fields) {
      auto it = named.find(f.field.id);
      if (it == named.end() && !(replace && !airtable::IsComputed(f.field.type))) continue;
      if (f.field.name == "airpg key") continue;  // the outbox's own field
      const Json* value = it == named.end() ? nullptr : it->second;
      bool empty = value == nullptr || value->is_null() || (value->is_array() && value->empty()) ||
                   (value->is_string() && value->get<std::string>().empty());
      WIRE_ASSIGN_OR_RETURN(bool ok, Cell(f, empty ? nullptr : value, out));
      (void)ok;
    }
    return out;
  }

  // Inserts (row_id empty) or updates one row; returns its id.
  ApiResult<int64_t> Apply(std::optional<int64_t> row_id, const RowWrite& write) {
    for (const auto& [choices, name] : write.choices) {
      Status added = tx_.Run(
          fmt::format("INSERT INTO {} (name) VALUES ($1) ON CONFLICT DO NOTHING", choices), {name});
      if (!added.ok()) return FromStatus(added);
    }
    std::vector<pg::Param> params;
    std::string sql;
    if (!row_id) {
      std::string cols, values;
      for (const auto& [column, value] : write.columns) {
        params.push_back(value);
        cols += (cols.empty() ? "" : ", ") + QuoteIdentifier(column);
        values += fmt::format("{}${}", values.empty() ? "" : ", ", params.size());
      }
      sql = cols.empty()
                ? fmt::format("INSERT INTO {} DEFAULT VALUES RETURNING id", Relation(table_))
                : fmt::format("INSERT INTO {} ({}) VALUES ({}) RETURNING id", Relation(table_),
                              cols, values);
    } else {
      std::string set;
      for (const auto& [column, value] : write.columns) {
        params.push_back(value);
        set += fmt::format("{}{} = ${}", set.empty() ? "" : ", ", QuoteIdentifier(column),
                           params.size());
      }
      params.push_back(std::to_string(*row_id));
      sql = set.empty() ? fmt::format("SELECT id FROM {} WHERE id = ${}::bigint", Relation(table_),
                                      params.size())
                        : fmt::format("UPDATE {} SET {} WHERE id = ${}::bigint RETURNING id",
                                      Relation(table_), set, params.size());
    }
    Result<pg::Rows> rows = tx_.Exec(sql, params);
    if (!rows.ok()) return FromStatus(rows.status());
    int64_t id = std::stoll(std::string(rows->Get(0, 0)));
    for (const auto& [f, targets] : write.junctions) {
      const TablePlan* to = base_.plan.FindTable(f->linked_table_id);
      std::string junction = QualifiedName(base_.schema, f->relation_table);
      Status cleared = tx_.Run(fmt::format("DELETE FROM {} WHERE from_id = $1::bigint", junction),
                               {std::to_string(id)});
      if (!cleared.ok()) return FromStatus(cleared);
      for (size_t i = 0; i < targets.size(); ++i) {
        WIRE_ASSIGN_OR_RETURN(int64_t target, LinkTarget(*to, targets[i]));
        Status linked = tx_.Run(fmt::format("INSERT INTO {} (from_id, to_id, position) VALUES "
                                            "($1::bigint, $2::bigint, $3::int)",
                                            junction),
                                {std::to_string(id), std::to_string(target), std::to_string(i)});
        if (!linked.ok()) return FromStatus(linked);
      }
    }
    for (const auto& [f, users] : write.collaborators) {
      // The capture trigger on the junction queues the whole cell (a
      // collaborator junction's record_id, catalog_v6).
      std::string junction = QualifiedName(base_.schema, f->relation_table);
      Status cleared = tx_.Run(fmt::format("DELETE FROM {} WHERE record_id = $1::bigint", junction),
                               {std::to_string(id)});
      if (!cleared.ok()) return FromStatus(cleared);
      for (size_t i = 0; i < users.size(); ++i) {
        Status added = tx_.Run(fmt::format("INSERT INTO {} (record_id, user_id, position) VALUES "
                                           "($1::bigint, $2, $3::int) ON CONFLICT DO NOTHING",
                                           junction),
                               {std::to_string(id), users[i], std::to_string(i)});
        if (!added.ok()) return FromStatus(added);
      }
    }
    return id;
  }

  // The attachment cells of `write` on row `row_id`, filed under its
  // Airtable id, else under `record_id` (the id reserved at its create).
  // Read after the row was written, so a push that gave the row Airtable's
  // id meanwhile is seen (the row's lock orders the two).
  ApiResult<bool> ApplyAttachments(int64_t row_id, const std::string& record_id,
                                   const RowWrite& write) {
    if (write.attachments.empty()) return true;
    Result<pg::Rows> rows =
        tx_.Exec(fmt::format("SELECT coalesce(airtable_id, '') FROM {} WHERE id = $1::bigint",
                             Relation(table_)),
                 {std::to_string(row_id)});
    if (!rows.ok()) return FromStatus(rows.status());
    std::string file_under =
        rows->empty() || rows->Get(0, 0).empty() ? record_id : std::string(rows->Get(0, 0));
    for (const auto& [f, items] : write.attachments) {
      Status written = WriteAttachmentCell(tx_, base_, table_, *f, file_under, items);
      if (!written.ok()) return FromStatus(written);
    }
    return true;
  }

 private:
  // The usr… id of a collaborator as Airtable accepts one: {"id"}, {"email"}
  // or a bare id/email string. Only users airpg knows (airpg.users: those
  // seen in the base's cells) can be named; another is refused as Airtable
  // refuses a user who is not a collaborator of the base.
  ApiResult<std::string> UserId(const FieldPlan& f, const Json& value) {
    std::string key;
    if (value.is_object() && value.contains("id") && value["id"].is_string()) {
      key = value["id"].get<std::string>();
    } else if (value.is_object() && value.contains("email") && value["email"].is_string()) {
      key = value["email"].get<std::string>();
    } else if (value.is_string()) {
      key = value.get<std::string>();
    }
    Result<pg::Rows> rows = tx_.Exec(
        "SELECT user_id FROM airpg.users WHERE user_id = $1 OR lower(email) = lower($1) "
        "ORDER BY user_id = $1 DESC LIMIT 1",
        {key});
    if (!rows.ok()) return FromStatus(rows.status());
    if (key.empty() || rows->empty()) {
      return InvalidValue(
          fmt::format("Field \"{}\" cannot accept the provided value", f.field.name));
    }
    return std::string(rows->Get(0, 0));
  }

  ApiResult<int64_t> LinkTarget(const TablePlan& to, const std::string& record_id) {
    Result<std::optional<FoundRow>> row = FindRow(to, record_id);
    if (!row.ok()) return FromStatus(row.status());
    if (!*row) {
      return InvalidValue(
          fmt::format("Record ID {} does not exist in table {}", record_id, to.airtable_name));
    }
    return (*row)->row_id;
  }

  // One field's cell into `out`; `value` null: clear it.
  ApiResult<bool> Cell(const FieldPlan& f, const Json* value, RowWrite& out) {
    std::string field = f.field.name;
    switch (f.link_role) {
      case LinkRole::kForeignKey:
      case LinkRole::kJunction: {
        std::vector<std::string> ids;
        if (value != nullptr) {
          if (!value->is_array()) {
            return InvalidValue(
                fmt::format("Value is not an array of record IDs for field {}", field));
          }
          for (const Json& id : *value) {
            if (id.is_string())
              ids.push_back(id.get<std::string>());
            else if (id.is_object() && id.contains("id") && id["id"].is_string())
              ids.push_back(id["id"].get<std::string>());
            else
              return InvalidValue("Value is not an array of record IDs for field " + field);
          }
        }
        if (f.link_role == LinkRole::kJunction) {
          out.junctions.emplace_back(&f, std::move(ids));
          return true;
        }
        if (ids.size() > 1) {
          return InvalidValue(fmt::format("Field \"{}\" can only link to one record", field));
        }
        if (ids.empty()) {
          out.columns.emplace_back(f.column_name, pg::Param());
          return true;
        }
        WIRE_ASSIGN_OR_RETURN(int64_t target,
                              LinkTarget(*base_.plan.FindTable(f.linked_table_id), ids[0]));
        out.columns.emplace_back(f.column_name, pg::Param(std::to_string(target)));
        return true;
      }
      case LinkRole::kForeignKeyInverse:
      case LinkRole::kJunctionInverse:
      case LinkRole::kUnlinkedIds:
        if (value == nullptr) return true;
        return InvalidValue(fmt::format(
            "Field \"{}\" is written from the other side of its link when served from Postgres",
            field));
      case LinkRole::kNone:
        break;
    }
    if (f.column.storage == Storage::kUserJunction) {
      std::vector<std::string> users;
      if (value != nullptr) {
        if (!value->is_array()) {
          return InvalidValue(fmt::format("Field \"{}\" cannot accept the provided value", field));
        }
        for (const Json& item : *value) {
          WIRE_ASSIGN_OR_RETURN(std::string user_id, UserId(f, item));
          users.push_back(std::move(user_id));
        }
      }
      out.collaborators.emplace_back(&f, std::move(users));
      return true;
    }
    if (f.column.storage == Storage::kAttachments) {
      Result<std::vector<AttachmentItem>> items = ParseAttachmentItems(f, value);
      if (!items.ok()) return FromStatus(items.status());
      out.attachments.emplace_back(&f, std::move(items).value());
      return true;
    }
    if (!f.HasColumn()) {
      if (value == nullptr) return true;
      return InvalidValue(fmt::format(
          "Field \"{}\" is not written through airpg serve yet: route this table to airtable",
          field));
    }
    if (value == nullptr) {
      // Cleared: NULL, or the column's default where it may not be NULL
      // (a checkbox's false), as Airtable reads an empty cell.
      bool fallback = f.column.not_null && !f.column.default_sql.empty();
      out.columns.emplace_back(f.column_name,
                               fallback ? pg::Param(f.column.default_sql) : pg::Param());
      return true;
    }
    if (f.column.storage == Storage::kUser) {
      // A collaborator, by id or email: the column holds its usr… id.
      WIRE_ASSIGN_OR_RETURN(std::string user_id, UserId(f, *value));
      out.columns.emplace_back(f.column_name, pg::Param(std::move(user_id)));
      return true;
    }
    std::optional<std::string> cell = value->dump();
    if (typecast_ && value->is_string()) {
      // typecast: a string for a number, checkbox or multiple select.
      const std::string& s = value->get_ref<const std::string&>();
      if (f.column.storage == Storage::kChoiceArray) cell = Json::array({s}).dump();
      if (f.field.type == airtable::FieldType::kCheckbox) cell = (s == "true" ? "true" : "false");
      if (f.field.type == airtable::FieldType::kNumber ||
          f.field.type == airtable::FieldType::kCurrency ||
          f.field.type == airtable::FieldType::kPercent) {
        Json parsed = Json::parse(s, nullptr, false);
        if (parsed.is_number()) cell = parsed.dump();
      }
    }
    Result<mapping::PgValue> pg = mapping::CellToPg(f.field, f.column, cell);
    if (!pg.ok()) {
      return InvalidValue(fmt::format("Field \"{}\" cannot accept the provided value: {}", field,
                                      pg.status().message()));
    }
    pg::Param param;
    if (!pg->is_null) {
      if (pg->array) {
        std::vector<std::optional<std::string>> items(pg->array->begin(), pg->array->end());
        param = pg::ArrayLiteral(items);
      } else {
        param = pg::Param(pg->text);
      }
    }
    if (f.column.storage == Storage::kChoice && !pg->is_null) {
      std::string choices = QualifiedName(base_.schema, f.relation_table);
      Result<pg::Rows> known =
          tx_.Exec(fmt::format("SELECT 1 FROM {} WHERE name = $1", choices), {pg->text});
      if (!known.ok()) return FromStatus(known.status());
      if (known->empty()) {
        if (!typecast_) {
          return airtable::wire::Unprocessable(
              "INVALID_MULTIPLE_CHOICE_OPTIONS",
              fmt::format("Insufficient permissions to create new select option \"\"{}\"\"",
                          pg->text));
        }
        out.choices.emplace_back(choices, pg->text);
      }
    }
    out.columns.emplace_back(f.column_name, std::move(param));
    return true;
  }

  pg::Transaction& tx_;
  const ApiBase& base_;
  const TablePlan& table_;
  bool typecast_;
};

bool Flag(const Json& body, const char* key) {
  return body.is_object() && body.contains(key) && body[key].is_boolean() && body[key].get<bool>();
}

// A record as the answer shows it: the stored one when it has an Airtable id
// (GetRecord), else the cells written, under the reserved id.
ApiResult<Json> Render(pg::Connection& conn, const ApiBase& base, const TablePlan& table,
                       const std::string& record_id, const Json& fields, bool by_field_id) {
  airtable::wire::RenderOptions options;
  options.by_field_id = by_field_id;
  ApiResult<std::string> stored = GetRecord(conn, base, table, record_id, options);
  if (stored.ok()) return Json::parse(*stored);
  Json cells = Json::object();
  for (const auto& [key, value] : fields.items()) {
    const FieldPlan* f = FindField(table, key);
    bool empty = value.is_null() || value == false || (value.is_array() && value.empty()) ||
                 (value.is_string() && value.get<std::string>().empty());
    if (f == nullptr || empty) continue;
    cells[by_field_id ? f->field.id : f->field.name] = value;
  }
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  char created[32];
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&t));
  return Json{{"id", record_id}, {"createdTime", created}, {"fields", cells}};
}

struct Written {
  std::string record_id;
  Json fields;
  bool created = false;
};

}  // namespace

std::string ReserveRecordId() { return NewAirtableId("rec"); }

ApiResult<std::string> WriteRecords(pg::Connection& conn, const ApiBase& base,
                                    const TablePlan& table, const WriteRequest& request) {
  bool by_field_id = false;
  std::vector<std::string> delete_ids;
  for (const auto& [key, value] : request.query) {
    if (key == "returnFieldsByFieldId") by_field_id = airtable::wire::ParseBool(value);
    if (key == "records[]" || key == "records") delete_ids.push_back(value);
  }
  Json body = Json::object();
  if (request.method != "DELETE") {
    body = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
    if (body.is_discarded()) return airtable::wire::BadJson();
    if (Flag(body, "returnFieldsByFieldId")) by_field_id = true;
  }
  bool single =
      !request.record_id.empty() || (request.method == "POST" && body.is_object() &&
                                     body.contains("fields") && !body.contains("records"));
  bool typecast = Flag(body, "typecast");

  Result<pg::Transaction> begun = pg::Transaction::Begin(conn);
  if (!begun.ok()) return FromStatus(begun.status());
  pg::Transaction& tx = *begun;
  Writer writer(tx, base, table, typecast);

  if (request.method == "DELETE") {
    if (!request.record_id.empty()) delete_ids = {request.record_id};
    if (delete_ids.empty()) return airtable::wire::InvalidRequest();
    if (delete_ids.size() > kMaxRecords) return TooMany(delete_ids.size(), "deleted");
    Json records = Json::array();
    for (const std::string& id : delete_ids) {
      Result<std::optional<FoundRow>> row = writer.FindRow(table, id);
      if (!row.ok()) return FromStatus(row.status());
      if (!*row) {
        if (single) return airtable::wire::ModelNotFound();
        return ApiError{404, "NOT_FOUND", "Could not find a record with ID \"" + id + "\"."};
      }
      // A tombstone, as inbound sync deletes: the outbox sends the delete.
      Status deleted = tx.Run(fmt::format("UPDATE {} SET deleted_at = now() WHERE id = $1::bigint",
                                          writer.Relation(table)),
                              {std::to_string((*row)->row_id)});
      if (!deleted.ok()) return FromStatus(deleted);
      records.push_back({{"deleted", true}, {"id", id}});
    }
    Status committed = tx.Commit();
    if (!committed.ok()) return FromStatus(committed);
    return single ? records[0].dump() : Json{{"records", records}}.dump();
  }

  Json inputs;
  if (single) {
    inputs = Json::array({body});
  } else if (body.is_object() && body.contains("records") && body["records"].is_array()) {
    inputs = body["records"];
  } else {
    return airtable::wire::Unprocessable("INVALID_REQUEST_MISSING_FIELDS",
                                         "Could not find field \"fields\" in the request body");
  }
  bool create = request.method == "POST";
  const char* verb = create ? "created" : "updated";
  if (inputs.empty()) {
    return airtable::wire::Unprocessable(
        "INVALID_RECORDS",
        "You must provide an array of up to 10 record objects, each with an \"id\" ID field and a "
        "\"fields\" object for cell values.");
  }
  if (inputs.size() > kMaxRecords) return TooMany(inputs.size(), verb);
  // performUpsert: records without an id are matched on these fields.
  std::vector<const FieldPlan*> merge_on;
  if (!create && body.contains("performUpsert")) {
    const Json& upsert = body["performUpsert"];
    if (!upsert.is_object() || !upsert.contains("fieldsToMergeOn") ||
        !upsert["fieldsToMergeOn"].is_array() || upsert["fieldsToMergeOn"].empty() ||
        upsert["fieldsToMergeOn"].size() > 3) {
      return airtable::wire::InvalidRequest(
          "Invalid request: performUpsert.fieldsToMergeOn must list 1 to 3 fields");
    }
    for (const Json& name : upsert["fieldsToMergeOn"]) {
      const FieldPlan* f = name.is_string() ? FindField(table, name.get<std::string>()) : nullptr;
      if (f == nullptr)
        return airtable::wire::UnknownFieldName(name.is_string() ? name.get<std::string>()
                                                                 : name.dump());
      if (!f->HasColumn() || airtable::IsComputed(f->field.type)) {
        return airtable::wire::InvalidRequest("Invalid request: field " + f->field.name +
                                              " cannot be used in fieldsToMergeOn");
      }
      merge_on.push_back(f);
    }
  }

  std::vector<Written> written;
  for (const Json& input : inputs) {
    if (!input.is_object()) return airtable::wire::InvalidRequest();
    Json fields = input.value("fields", Json::object());
    std::string record_id = single ? request.record_id : input.value("id", std::string());
    std::optional<int64_t> row;
    if (!create && record_id.empty() && merge_on.empty()) {
      return airtable::wire::Unprocessable(
          "INVALID_RECORDS",
          "You must provide an array of up to 10 record objects, each with an \"id\" ID field "
          "and a \"fields\" object for cell values.");
    }
    if (!create && !record_id.empty()) {
      Result<std::optional<FoundRow>> found = writer.FindRow(table, record_id);
      if (!found.ok()) return FromStatus(found.status());
      if (!*found) return airtable::wire::ModelNotFound();
      row = (*found)->row_id;
      // Once pushed, the record answers under Airtable's id.
      if (!(*found)->airtable_id.empty()) record_id = (*found)->airtable_id;
    }
    if (!create && record_id.empty()) {
      // Upsert: the row whose merge fields equal the given cells.
      WIRE_ASSIGN_OR_RETURN(RowWrite keys, [&]() -> ApiResult<RowWrite> {
        Json subset = Json::object();
        for (const FieldPlan* f : merge_on) {
          subset[f->field.id] = fields.contains(f->field.id)     ? fields[f->field.id]
                                : fields.contains(f->field.name) ? fields[f->field.name]
                                                                 : Json();
        }
        return writer.Convert(subset, false);
      }());
      std::string where;
      std::vector<pg::Param> params;
      for (const auto& [column, value] : keys.columns) {
        params.push_back(value);
        // Compared as the column's type (from our plan, never from the
        // request), so "1.50" matches 1.5.
        std::string sql_type = "text";
        for (const FieldPlan* f : merge_on) {
          if (f->column_name == column) sql_type = f->column.sql_type;
        }
        where += fmt::format(" AND t.{} IS NOT DISTINCT FROM CAST(${} AS {})",
                             QuoteIdentifier(column), params.size(), sql_type);
      }
      std::string sql = fmt::format(
          "SELECT t.id, coalesce({}, '') FROM {} t WHERE t.deleted_at IS NULL{} ORDER BY t.id "
          "LIMIT 2",
          pg::RecordIdSql("$" + std::to_string(params.size() + 1), /*any_key=*/true),
          writer.Relation(table), where);
      params.push_back(table.table_id);
      Result<pg::Rows> matches = tx.Exec(sql, params);
      if (!matches.ok()) return FromStatus(matches.status());
      if (matches->size() > 1) {
        return airtable::wire::Unprocessable("INVALID_RECORDS",
                                             "More than one record matches the fields to merge on");
      }
      if (matches->size() == 1) {
        row = std::stoll(std::string(matches->Get(0, 0)));
        record_id = std::string(matches->Get(0, 1));
      }
    }
    WIRE_ASSIGN_OR_RETURN(RowWrite write,
                          writer.Convert(fields, request.method == "PUT" && row.has_value()));
    WIRE_ASSIGN_OR_RETURN(int64_t id, writer.Apply(row, write));
    bool made = !row.has_value();
    if (made) {
      // The reserved id is the row's airpg key: the outbox sends it as the
      // `airpg key` cell and merges on it, and every later request naming it
      // finds this row (FindRow), before and after Airtable's id arrives.
      record_id = ReserveRecordId();
      Status keyed = pg::ReserveKey(tx, table.table_id, id, record_id);
      if (!keyed.ok()) return FromStatus(keyed);
    }
    // After the key (an unpushed record's cells wait for its push, catalog_v15).
    WIRE_ASSIGN_OR_RETURN(bool ok, writer.ApplyAttachments(id, record_id, write));
    (void)ok;
    written.push_back({record_id, fields, made});
  }
  Status committed = tx.Commit();
  if (!committed.ok()) return FromStatus(committed);

  Json records = Json::array();
  Json created = Json::array(), updated = Json::array();
  for (const Written& w : written) {
    WIRE_ASSIGN_OR_RETURN(Json record,
                          Render(conn, base, table, w.record_id, w.fields, by_field_id));
    records.push_back(std::move(record));
    (w.created ? created : updated).push_back(w.record_id);
  }
  if (single) return records[0].dump();
  Json answer = {{"records", records}};
  if (!merge_on.empty()) {
    answer["createdRecords"] = created;
    answer["updatedRecords"] = updated;
  }
  return answer.dump();
}

}  // namespace airpg::api
