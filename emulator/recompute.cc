#include "emulator/recompute.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "emulator/formula_cells.h"
#include "emulator/record_renderer.h"
#include "emulator/wire.h"
#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/time_zone.h"

namespace airpg::emulator {
namespace {

using airtable::FieldType;

// A record is recomputed at most this often per write: a cycle of links
// whose values never settle (A's rollup over B's over A's) stops here.
constexpr int kMaxVisits = 4;
// Within one record, computed fields that read each other settle in at most
// this many passes (one per level of a chain).
constexpr int kMaxPasses = 8;

bool IsComputedCell(FieldType kind) {
  return kind == FieldType::kFormula || kind == FieldType::kRollup ||
         kind == FieldType::kMultipleLookupValues || kind == FieldType::kLookup ||
         kind == FieldType::kCount;
}

std::string ResultType(const Field& field) {
  return StringAt(MemberAt(field.options, "result"), "type");
}

// Parsed formulas by their text, for the length of one recompute.
class FormulaCache {
 public:
  const formula::Node* Get(const std::string& text) {
    auto it = parsed_.find(text);
    if (it == parsed_.end()) {
      Result<formula::NodePtr> root = formula::Parse(text);
      it = parsed_.emplace(text, root.ok() ? std::move(root).value() : nullptr).first;
    }
    return it->second.get();
  }

 private:
  std::map<std::string, formula::NodePtr> parsed_;
};

class Recomputer {
 public:
  Recomputer(Base& base, int64_t now_millis, const RecordRef* written)
      : base_(base), written_(written) {
    options_.now_millis = now_millis;
    options_.zones = formula::SystemTimeZones();
  }

  std::vector<RecomputedRecord> Run(const std::vector<RecordRef>& seeds) {
    std::deque<RecordRef> queue(seeds.begin(), seeds.end());
    std::vector<RecomputedRecord> changed;
    while (!queue.empty()) {
      RecordRef ref = std::move(queue.front());
      queue.pop_front();
      int visit = ++visits_[ref.table_id + "/" + ref.record_id];
      if (visit > kMaxVisits) continue;
      Table* table = base_.FindTable(ref.table_id);
      Record* record = table ? table->FindRecord(ref.record_id) : nullptr;
      if (record == nullptr) continue;
      Json before = record->cells;
      RecomputeRecord(*table, *record);
      // A seed's links are followed once even when its computed cells stay:
      // its written cells may be what its neighbours read.
      bool seed = visit == 1 && std::find(seeds.begin(), seeds.end(), ref) != seeds.end();
      if (record->cells == before && !seed) continue;
      if (!(written_ && ref == *written_) && record->cells != before) {
        auto it = std::find_if(changed.begin(), changed.end(),
                               [&](const RecomputedRecord& c) { return c.ref == ref; });
        if (it == changed.end()) {
          changed.push_back({ref, record->created_millis, before, record->cells});
        } else {
          it->current = record->cells;
        }
      }
      for (RecordRef& next : LinkedRecords(base_, *table, record->cells)) {
        queue.push_back(std::move(next));
      }
    }
    return changed;
  }

  // Every record of the base, a pass per table at a time, until a pass
  // changes nothing (chains across tables settle one level per pass). Only
  // empty computed cells are filled: a stored one is Airtable's own value.
  void FillAll() {
    fill_only_ = true;
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      bool changed = false;
      for (Table& table : base_.tables) {
        for (Record& record : table.records) {
          Json before = record.cells;
          RecomputeRecord(table, record);
          changed = changed || record.cells != before;
        }
      }
      if (!changed) return;
    }
  }

 private:
  void RecomputeRecord(Table& table, Record& record) {
    bool any = std::any_of(table.fields.begin(), table.fields.end(),
                           [](const Field& f) { return IsComputedCell(f.kind()); });
    if (!any) return;
    formula::Schema schema = SchemaOf(table);
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      formula::Record r = FormulaRecord(base_, table, schema, record);
      bool changed = false;
      for (const Field& field : table.fields) {
        if (!IsComputedCell(field.kind())) continue;
        auto stored = record.cells.find(field.id);
        if (fill_only_ && stored != record.cells.end() &&
            !filled_fields_.count(field.id + "@" + record.id)) {
          continue;  // stored by the data file
        }
        std::optional<Json> cell = Compute(table, field, schema, r, record);
        if (!cell) continue;  // kept as stored
        if (fill_only_) filled_fields_.insert(field.id + "@" + record.id);
        Json current = stored == record.cells.end() ? Json() : *stored;
        if (current == *cell) continue;
        changed = true;
        if (cell->is_null()) {
          record.cells.erase(field.id);
          r.cells.erase(field.id);
        } else {
          record.cells[field.id] = *cell;
          Result<formula::Value> value = formula::CellValue(
              *schema.Find(field.id), ToJsonValue(CellValue(base_, table, field, record)));
          r.cells[field.id] = value.ok() ? *value : formula::Value::Error();
        }
      }
      if (!changed) return;
    }
  }

  // The field's new cell (null: empty), or nullopt to keep what is stored.
  std::optional<Json> Compute(const Table& table, const Field& field, const formula::Schema& schema,
                              const formula::Record& r, const Record& record) {
    if (!BoolAt(field.options, "isValid", true)) return std::nullopt;
    if (field.kind() == FieldType::kFormula) {
      const formula::Node* root = formulas_.Get(StringAt(field.options, "formula"));
      if (root == nullptr) return std::nullopt;
      Result<formula::Value> value = formula::Evaluate(*root, schema, r, options_);
      if (!value.ok()) return std::nullopt;
      return CellFromValue(*value, ResultType(field));
    }
    const Field* link = table.FindField(StringAt(field.options, "recordLinkFieldId"));
    if (link == nullptr || link->kind() != FieldType::kMultipleRecordLinks) return std::nullopt;
    Table* linked = base_.FindTable(StringAt(link->options, "linkedTableId"));
    if (linked == nullptr) return std::nullopt;
    auto ids = record.cells.find(link->id);
    bool has_ids = ids != record.cells.end() && ids->is_array();
    if (field.kind() == FieldType::kCount) {
      return has_ids ? Json(ids->size()) : Json(0);
    }
    const Field* source = linked->FindField(StringAt(field.options, "fieldIdInLinkedTable"));
    if (source == nullptr) return std::nullopt;
    // The linked records' values, in link order; arrays (lookups) flattened.
    Json values = Json::array();
    if (has_ids) {
      for (const Json& id : *ids) {
        const Record* other = linked->FindRecord(AsString(id));
        if (other == nullptr) continue;
        Json value = CellValue(base_, *linked, *source, *other);
        if (value.is_array()) {
          for (const Json& v : value) values.push_back(v);
        } else if (!value.is_null()) {
          values.push_back(value);
        }
      }
    }
    if (field.kind() != FieldType::kRollup) return values.empty() ? Json() : values;
    const formula::Node* root = formulas_.Get(StringAt(field.options, "formula"));
    if (root == nullptr) return std::nullopt;
    // `values` is the one field a rollup formula sees: the linked values as
    // a lookup of the source field.
    std::string source_type = source->type;
    std::string source_result = ResultType(*source);
    formula::FieldInfo info{"values", "values", "multipleLookupValues",
                            source_result.empty() ? source_type : source_result};
    formula::Schema values_schema({info});
    formula::Record values_record;
    values_record.record_id = record.id;
    values_record.created_millis = record.created_millis;
    values_record.modified_millis = record.modified_millis;
    if (!values.empty()) {
      Result<formula::Value> v = formula::CellValue(info, ToJsonValue(values));
      values_record.cells["values"] = v.ok() ? *v : formula::Value::Error();
    }
    Result<formula::Value> value = formula::Evaluate(*root, values_schema, values_record, options_);
    if (!value.ok()) return std::nullopt;
    return CellFromValue(*value, ResultType(field));
  }

  Base& base_;
  const RecordRef* written_;
  formula::EvalOptions options_;
  FormulaCache formulas_;
  std::map<std::string, int> visits_;
  // FillAll: the cells it computed (field@record), which later passes may
  // recompute; every other stored cell is left as the data file gave it.
  bool fill_only_ = false;
  std::set<std::string> filled_fields_;
};

}  // namespace

std::vector<RecordRef> LinkedRecords(Base& base, const Table& table, const Json& cells) {
  std::vector<RecordRef> out;
  for (const Field& field : table.fields) {
    if (field.kind() != FieldType::kMultipleRecordLinks) continue;
    auto ids = cells.find(field.id);
    if (ids == cells.end() || !ids->is_array()) continue;
    std::string linked = StringAt(field.options, "linkedTableId");
    if (base.FindTable(linked) == nullptr) continue;
    for (const Json& id : *ids) out.push_back({linked, AsString(id)});
  }
  return out;
}

std::vector<RecomputedRecord> Recompute(Base& base, const std::vector<RecordRef>& seeds,
                                        int64_t now_millis, const RecordRef* written) {
  return Recomputer(base, now_millis, written).Run(seeds);
}

void FillComputedCells(Base& base, int64_t now_millis) {
  Recomputer(base, now_millis, nullptr).FillAll();
}

}  // namespace airpg::emulator
