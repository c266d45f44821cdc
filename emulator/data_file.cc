#include "emulator/data_file.h"

#include <fstream>
#include <sstream>

#include "emulator/cell_writer.h"
#include "emulator/clock.h"
#include "emulator/recompute.h"
#include "emulator/schema_json.h"
#include "emulator/wire.h"

namespace airpg::emulator {
namespace {

constexpr int64_t kDayMillis = 24 * 60 * 60 * 1000;

// Whole days from a data file's `datesRelativeTo` date to `now`'s date: a
// file written as of that day loads as if written today. 0 without one.
int64_t ShiftMillis(const Json& base, int64_t now) {
  int64_t anchor = 0;
  if (!ParseIsoMillis(StringAt(base, "datesRelativeTo"), &anchor)) return 0;
  int64_t days = now / kDayMillis - anchor / kDayMillis;
  return days * kDayMillis;
}

// A date or dateTime cell, or a createdTime, moved by `shift`; other values as given.
Json Shifted(const Json& value, bool date_only, int64_t shift) {
  int64_t millis = 0;
  if (shift == 0 || !value.is_string() || !ParseIsoMillis(value.get<std::string>(), &millis)) {
    return value;
  }
  std::string text = FormatIsoMillis(millis + shift);
  return date_only ? Json(text.substr(0, 10)) : Json(text);
}

Result<Table> TableFromJson(const Json& json, IdGenerator& ids, int64_t now, int64_t shift) {
  if (!MemberAt(json, "name").is_string()) {
    return InvalidArgumentError("data file: a table needs a name");
  }
  Table table;
  table.id = StringAt(json, "id");
  if (table.id.empty()) table.id = ids.Next("tbl");
  table.name = StringAt(json, "name");
  table.description = StringAt(json, "description");
  for (const Json& f : MemberAt(json, "fields")) {
    auto field = FieldFromJson(f, ids);
    if (!field.ok()) return InvalidArgumentError("data file: bad field in table " + table.name);
    table.fields.push_back(std::move(field.value()));
  }
  if (table.fields.empty())
    return InvalidArgumentError("data file: table " + table.name + " has no fields");
  table.primary_field_id = StringAt(json, "primaryFieldId", table.fields.front().id);
  for (const Json& r : MemberAt(json, "records")) {
    Record record;
    record.id = StringAt(r, "id");
    if (record.id.empty()) record.id = ids.Next("rec");
    // A missing or unreadable createdTime is "now", as for a record created now.
    if (!ParseIsoMillis(StringAt(r, "createdTime"), &record.created_millis)) {
      record.created_millis = now;
    } else {
      record.created_millis += shift;
    }
    record.modified_millis = record.created_millis;
    record.comment_count = static_cast<int>(IntAt(r, "commentCount", 0));
    const Json& fields = MemberAt(r, "fields");
    if (!fields.is_object()) continue;  // not a record: nothing to serve
    for (const auto& [key, value] : fields.items()) {
      const Field* field = table.FindField(key);
      if (field == nullptr) {
        return InvalidArgumentError("data file: unknown field \"" + key + "\" in table " +
                                    table.name);
      }
      if (IsEmptyCell(value)) continue;
      bool date = field->kind() == airtable::FieldType::kDate;
      bool date_time = field->kind() == airtable::FieldType::kDateTime;
      record.cells[field->id] = date || date_time ? Shifted(value, date, shift) : value;
    }
    table.AddRecord(std::move(record));
  }
  for (const Field& f : table.fields) {
    if (f.kind() != airtable::FieldType::kAutoNumber) continue;
    for (Record& r : table.records) {
      if (r.cells.contains(f.id)) {
        table.next_auto_number = std::max(table.next_auto_number, IntAt(r.cells, f.id, 0) + 1);
      } else {
        r.cells[f.id] = table.next_auto_number++;
      }
    }
  }
  for (const Json& v : MemberAt(json, "views")) {
    auto view = ViewFromJson(v, table, ids);
    if (!view.ok()) return InvalidArgumentError("data file: bad view in table " + table.name);
    table.views.push_back(std::move(view.value()));
  }
  if (table.views.empty()) table.views.push_back(View{ids.Next("viw"), "Grid view"});
  return table;
}

Collaborator CollaboratorFromJson(const Json& json) {
  return {StringAt(json, "id"), StringAt(json, "email"), StringAt(json, "name")};
}

Json CollaboratorToJson(const Collaborator& c) {
  Json out = {{"id", c.id}, {"email", c.email}};
  if (!c.name.empty()) out["name"] = c.name;
  return out;
}

// Reserves every id the file gives (bases, tables, fields, choices, views,
// records, attachments, users), so no id made later duplicates one of them.
void ReserveIds(const Json& json, IdGenerator& ids) {
  if (json.is_object()) {
    for (const auto& [key, value] : json.items()) {
      if (key == "id" && value.is_string()) {
        ids.Reserve(value.get_ref<const std::string&>());
      } else {
        ReserveIds(value, ids);
      }
    }
  } else if (json.is_array()) {
    for (const Json& item : json) ReserveIds(item, ids);
  }
}

}  // namespace

Result<Model> ModelFromJson(const Json& json, IdGenerator& ids, int64_t now) {
  if (!json.is_object()) return InvalidArgumentError("data file: top level must be an object");
  ReserveIds(json, ids);
  Model model;
  model.user = CollaboratorFromJson(MemberAt(json, "user"));
  if (model.user.id.empty()) model.user.id = ids.Next("usr");
  for (const Json& b : MemberAt(json, "bases")) {
    Base base;
    base.id = StringAt(b, "id");
    if (base.id.empty()) base.id = ids.Next("app");
    base.name = StringAt(b, "name", base.id);
    base.permission_level = StringAt(b, "permissionLevel", "create");
    for (const Json& c : MemberAt(b, "collaborators")) {
      base.collaborators.push_back(CollaboratorFromJson(c));
    }
    const int64_t shift = ShiftMillis(b, now);
    for (const Json& t : MemberAt(b, "tables")) {
      AIRPG_ASSIGN_OR_RETURN(Table table, TableFromJson(t, ids, now, shift));
      base.tables.push_back(std::move(table));
    }
    FillComputedCells(base, now);
    model.bases.push_back(std::move(base));
  }
  return model;
}

Json ModelToJson(const Model& model) {
  Json bases = Json::array();
  for (const Base& base : model.bases) {
    Json tables = Json::array();
    for (const Table& table : base.tables) {
      Json t = TableToJson(table, true);
      for (size_t i = 0; i < table.views.size(); ++i) {
        const View& v = table.views[i];
        if (!v.filter_formula.empty()) t["views"][i]["filterByFormula"] = v.filter_formula;
        if (!v.manual_order.empty()) t["views"][i]["recordOrder"] = v.manual_order;
        for (const SortSpec& s : v.sort) {
          t["views"][i]["sort"].push_back(
              {{"field", s.field_id}, {"direction", s.descending ? "desc" : "asc"}});
        }
      }
      Json records = Json::array();
      for (const Record& r : table.records) {
        Json rec = {
            {"id", r.id}, {"createdTime", FormatIsoMillis(r.created_millis)}, {"fields", r.cells}};
        if (r.comment_count) rec["commentCount"] = r.comment_count;
        records.push_back(std::move(rec));
      }
      t["records"] = std::move(records);
      tables.push_back(std::move(t));
    }
    Json collaborators = Json::array();
    for (const Collaborator& c : base.collaborators) collaborators.push_back(CollaboratorToJson(c));
    bases.push_back({{"id", base.id},
                     {"name", base.name},
                     {"permissionLevel", base.permission_level},
                     {"collaborators", collaborators},
                     {"tables", tables}});
  }
  return {{"user", CollaboratorToJson(model.user)}, {"bases", bases}};
}

Result<Model> LoadModelFile(const std::string& path, IdGenerator& ids, int64_t now) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot read data file " + path);
  std::stringstream text;
  text << in.rdbuf();
  Json json = Json::parse(text.str(), nullptr, false);
  if (json.is_discarded()) return InvalidArgumentError("data file " + path + " is not valid JSON");
  return ModelFromJson(json, ids, now);
}

Status SaveModelFile(const Model& model, const std::string& path) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return UnavailableError("cannot write " + tmp);
    out << ModelToJson(model).dump(2) << "\n";
    if (!out) return UnavailableError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return UnavailableError("cannot rename " + tmp);
  return Status::Ok();
}

}  // namespace airpg::emulator
