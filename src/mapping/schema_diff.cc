#include "mapping/schema_diff.h"

#include <fmt/core.h>

#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "mapping/field_ddl.h"
#include "mapping/naming.h"

namespace airpg::mapping {
namespace {

// Options as JSON values: the catalog keeps them as jsonb, which reorders keys.
bool SameOptions(std::string_view a, std::string_view b) {
  auto parse = [](std::string_view text) {
    return text.empty() ? nlohmann::json() : nlohmann::json::parse(text, nullptr, false);
  };
  nlohmann::json x = parse(a), y = parse(b);
  if (x.is_discarded() || y.is_discarded()) return a == b;
  return x == y;
}

// What the column (or relation) of a field is, names aside.
auto ColumnDef(const FieldPlan& f) {
  const ColumnPlan& c = f.column;
  return std::tie(c.storage, c.sql_type, c.not_null, c.default_sql, c.check, c.gin_index,
                  f.link_role, f.linked_table_id);
}
auto RuleDef(const ColumnPlan& c) {
  return std::tie(c.storage, c.sql_type, c.not_null, c.default_sql, c.check, c.gin_index);
}
bool SameColumn(const FieldPlan& a, const FieldPlan& b) { return ColumnDef(a) == ColumnDef(b); }
bool SameStorage(const FieldPlan& a, const FieldPlan& b) {
  return SameColumn(a, b) && a.relation_table == b.relation_table;
}

std::string ColumnText(const FieldPlan& f) {
  return f.HasColumn() ? f.column.sql_type : std::string(StorageName(f.column.storage));
}

const airtable::Field* FindById(const airtable::Table& table, std::string_view field_id) {
  for (const auto& f : table.fields) {
    if (f.id == field_id) return &f;
  }
  return nullptr;
}

// One field of a table both sides know, as the catalog and Airtable see it.
struct Entry {
  std::string table_id;
  const CatalogField* cat = nullptr;     // null: added
  const airtable::Field* cur = nullptr;  // null: removed
  bool retyped = false;                  // its type or options changed its column (set by Block)
  std::string new_column;                // set by Names
  std::string kept_column;

  const std::string& id() const { return cat ? cat->field_id : cur->id; }
  bool added() const { return cat == nullptr; }
  bool removed() const { return cur == nullptr; }
  bool restored() const { return cat && cur && cat->removed; }
  bool renamed() const { return cat && cur && cur->name != cat->airtable_name; }
  bool type_changed() const {
    return cat && cur &&
           (cur->type_name != cat->type_name || !SameOptions(cur->options_json, cat->options_json));
  }
  bool structural() const { return added() || removed() || restored() || retyped; }
};

class Differ {
 public:
  Differ(const CatalogView& catalog, const airtable::BaseSchema& current)
      : cat_(catalog), cur_(current), known_(KnownNamesOf(catalog)) {}

  Result<SchemaDiff> Run() {
    AIRPG_ASSIGN_OR_RETURN(diff_.before, PlanSchema(CatalogSchema(cat_), known_));
    after_known_ = known_;
    Tables();
    Entries();
    AIRPG_RETURN_IF_ERROR(Block());
    Names();
    AIRPG_ASSIGN_OR_RETURN(diff_.after, PlanSchema(Merged(), after_known_));
    Emit();
    return std::move(diff_);
  }

 private:
  void Report(ChangeKind kind, std::string table_id, std::string description) {
    SchemaChange c;
    c.kind = kind;
    c.table_id = std::move(table_id);
    c.description = std::move(description);
    c.applies = false;
    reported_.push_back(std::move(c));
  }

  // Table renames take a free name in the schema; added and removed tables are reported.
  void Tables() {
    std::set<std::string> relations = known_.reserved_relations;
    for (const auto& ct : cur_.tables) {
      const CatalogTable* t = cat_.FindTable(ct.id);
      if (t == nullptr) {
        Report(ChangeKind::kTableAdded, ct.id,
               fmt::format("table {} added (\"{}\"): not mirrored; a new table needs a migration "
                           "(`airpg migrate`)",
                           ct.id, ct.name));
        continue;
      }
      tables_.push_back({t, &ct});
      if (ct.name == t->airtable_name) continue;
      relations.erase(t->table_name);
      std::string name = NameScope(relations).Take(SnakeCase(ct.name, "t_", "table"));
      relations.insert(name);
      after_known_.tables[t->table_id] = name;
      SchemaChange c;
      c.kind = ChangeKind::kTableRenamed;
      c.table_id = t->table_id;
      c.old_name = t->table_name;
      c.new_name = name;
      c.description =
          fmt::format("table {} renamed (\"{}\" → \"{}\")", t->table_id, t->airtable_name, ct.name);
      diff_.changes.push_back(std::move(c));
    }
    for (const auto& t : cat_.tables) {
      bool present = false;
      for (const auto& ct : cur_.tables) present = present || ct.id == t.table_id;
      if (present) continue;
      tables_.push_back({&t, nullptr});
      Report(ChangeKind::kTableRemoved, t.table_id,
             fmt::format("table {} removed from Airtable (\"{}\"): its Postgres table {} is kept",
                         t.table_id, t.airtable_name, t.table_name));
    }
  }

  void Entries() {
    for (const auto& [t, ct] : tables_) {
      if (ct == nullptr) continue;
      for (const auto& f : ct->fields) entries_.push_back({t->table_id, cat_.FindField(f.id), &f});
      for (const auto& cf : cat_.fields) {
        if (cf.table_id == t->table_id && !cf.removed && FindById(*ct, cf.field_id) == nullptr)
          entries_.push_back({t->table_id, &cf, nullptr});
      }
    }
    for (auto& e : entries_) by_id_[e.id()] = &e;
  }

  // Whether the live table has the column now (a field stored elsewhere only reserves its name).
  bool Physical(const std::string& table_id, const std::string& column) const {
    const CatalogTable* t = cat_.FindTable(table_id);
    if (t == nullptr) return false;
    for (const auto& c : t->columns) {
      if (c == column) return true;
    }
    return false;
  }

  bool Structural(const std::string& field_id) const {
    auto it = by_id_.find(field_id);
    return it != by_id_.end() && it->second->structural();
  }

  // Finds the changes that would move the storage of a field whose own type
  // did not change (a link pair losing or gaining a side) and holds them
  // back, until the plan after the remaining changes keeps every such field
  // as it is.
  Status Block() {
    for (;;) {
      AIRPG_ASSIGN_OR_RETURN(SchemaPlan after, PlanSchema(Merged(), after_known_));
      for (auto& e : entries_) {
        if (e.added() || e.removed() || blocked_.count(e.id())) continue;
        const FieldPlan* b = diff_.before.FindField(e.id()).second;
        const FieldPlan* a = after.FindField(e.id()).second;
        if (e.restored() && e.type_changed()) {
          auto was = PlanField(CatalogAirtableField(*e.cat));
          auto now = PlanField(*e.cur);
          if (was.ok() && now.ok() && RuleDef(*was) != RuleDef(*now))
            blocked_[e.id()] = "its type changed while it was deleted";
        }
        e.retyped = b && a && e.type_changed() && !SameColumn(*b, *a);
      }
      std::map<std::string, std::string> more;
      for (const auto& e : entries_) {
        if (e.added() || e.removed()) continue;
        const FieldPlan* b = diff_.before.FindField(e.id()).second;
        const FieldPlan* a = after.FindField(e.id()).second;
        bool changes_itself = !blocked_.count(e.id()) && e.structural();
        if (!b || !a || changes_itself || SameStorage(*b, *a)) continue;
        std::set<std::string> involved = {e.id(), b->inverse_field_id, a->inverse_field_id};
        for (const SchemaPlan* plan : {&diff_.before, &after}) {
          for (const auto& t : plan->tables) {
            for (const auto& f : t.fields) {
              if (f.inverse_field_id == e.id()) involved.insert(f.field.id);
            }
          }
        }
        bool held = false;
        for (const auto& id : involved) {
          if (id.empty() || blocked_.count(id) || !Structural(id)) continue;
          more[id] = fmt::format("the storage of link field {} would change", e.id());
          held = true;
        }
        if (!held && !warned_.count(e.id())) {
          warned_.insert(e.id());
          diff_.warnings.push_back(fmt::format(
              "field {} (\"{}\"): its column is {}, but it would now be planned as {}; run `airpg "
              "migrate` to rebuild it",
              e.id(), e.cur->name, ColumnText(*b), ColumnText(*a)));
        }
      }
      if (more.empty()) return Status::Ok();
      blocked_.insert(more.begin(), more.end());
    }
  }

  // Renamed columns take a free name in their table (their old one is free
  // again); retyped ones keep theirs as <col>__v<k> for the old values.
  void Names() {
    std::map<std::string, std::set<std::string>, std::less<>> used = known_.reserved_columns;
    auto scope = [&](const std::string& table_id) {
      std::set<std::string> names = BookkeepingColumns();
      names.insert(used[table_id].begin(), used[table_id].end());
      return NameScope(names);
    };
    for (auto& e : entries_) {
      if (!e.renamed()) continue;
      used[e.table_id].erase(e.cat->column_name);
      // A foreign key stays `<new name>_id` (its storage does not change
      // with a rename; a rename with a change of storage is held back).
      const FieldPlan* b = diff_.before.FindField(e.id()).second;
      bool foreign_key = b != nullptr && b->link_role == LinkRole::kForeignKey;
      e.new_column = scope(e.table_id).Take(ColumnNameCandidate(e.cur->name, foreign_key));
      used[e.table_id].insert(e.new_column);
      after_known_.columns[e.id()] = e.new_column;
    }
    for (auto& e : entries_) {
      if (!e.retyped || blocked_.count(e.id())) continue;
      const FieldPlan* b = diff_.before.FindField(e.id()).second;
      if (b->HasColumn() && Physical(e.table_id, e.cat->column_name)) {
        e.kept_column = scope(e.table_id).TakeVersion(after_known_.columns[e.id()]);
        used[e.table_id].insert(e.kept_column);
      }
      after_known_.relation_tables.erase(e.id());
    }
    after_known_.reserved_columns = std::move(used);
  }

  // Airtable's schema with the held-back changes left out: catalog tables
  // only (a removed table keeps its catalog fields), a held-back field as
  // the catalog has it.
  airtable::BaseSchema Merged() const {
    airtable::BaseSchema out;
    for (const auto& [t, ct] : tables_) {
      airtable::Table table;
      table.id = t->table_id;
      table.name = ct ? ct->name : t->airtable_name;
      table.description = ct ? ct->description : t->description;
      table.primary_field_id = ct ? ct->primary_field_id : t->primary_field_id;
      for (const auto& e : entries_) {
        if (e.table_id != t->table_id) continue;
        bool held = blocked_.count(e.id()) > 0;
        if (!held && e.cur) {
          table.fields.push_back(*e.cur);
        } else if (held && e.cat && !e.cat->removed) {
          airtable::Field kept = CatalogAirtableField(*e.cat);
          if (e.cur) kept.name = e.cur->name;
          table.fields.push_back(std::move(kept));
        }
      }
      if (ct == nullptr) {
        for (const auto& cf : cat_.fields) {
          if (cf.table_id == t->table_id && !cf.removed)
            table.fields.push_back(CatalogAirtableField(cf));
        }
      }
      out.tables.push_back(std::move(table));
    }
    return out;
  }

  SchemaChange FieldChange(ChangeKind kind, const Entry& e, std::string description) const {
    SchemaChange c;
    c.kind = kind;
    c.table_id = e.table_id;
    c.field_id = e.id();
    c.description = std::move(description);
    if (auto held = blocked_.find(e.id());
        held != blocked_.end() && kind != ChangeKind::kFieldRenamed) {
      c.applies = false;
      c.description += fmt::format(": not applied, {}; run `airpg migrate`", held->second);
    }
    return c;
  }

  void Push(SchemaChange c) { (c.applies ? diff_.changes : reported_).push_back(std::move(c)); }

  void Emit() {
    for (const auto& e : entries_) {
      if (!e.removed()) continue;
      Push(FieldChange(ChangeKind::kFieldRemoved, e,
                       fmt::format("field {} removed (\"{}\", {})", e.id(), e.cat->airtable_name,
                                   e.cat->type_name)));
    }
    for (const auto& e : entries_) {
      if (!e.renamed()) continue;
      SchemaChange c = FieldChange(ChangeKind::kFieldRenamed, e,
                                   fmt::format("field {} renamed (\"{}\" → \"{}\")", e.id(),
                                               e.cat->airtable_name, e.cur->name));
      c.old_name = Physical(e.table_id, e.cat->column_name) ? e.cat->column_name : "";
      c.new_name = e.new_column;
      Push(std::move(c));
    }
    for (const auto& e : entries_) {
      if (!e.restored()) continue;
      SchemaChange c = FieldChange(
          ChangeKind::kFieldRestored, e,
          fmt::format("field {} restored (\"{}\", {})", e.id(), e.cur->name, e.cur->type_name));
      c.reread = true;
      Push(std::move(c));
    }
    for (const auto& e : entries_) {
      if (!e.retyped) continue;
      const FieldPlan* b = diff_.before.FindField(e.id()).second;
      const FieldPlan* a = diff_.after.FindField(e.id()).second;
      std::string text = fmt::format("field {} changed type (\"{}\", {} {} → {} {})", e.id(),
                                     e.cur->name, e.cat->type_name, ColumnText(*b),
                                     e.cur->type_name, a ? ColumnText(*a) : ColumnText(*b));
      if (!e.kept_column.empty()) {
        text +=
            fmt::format(": column {} kept as {}", after_known_.columns.at(e.id()), e.kept_column);
      }
      SchemaChange c = FieldChange(ChangeKind::kFieldRetyped, e, std::move(text));
      c.old_name = after_known_.columns.at(e.id());
      c.new_name = e.kept_column;
      c.old_relation_table = OwnedRelationTable(*b);
      c.reread = true;
      Push(std::move(c));
    }
    for (const auto& e : entries_) {
      if (!e.added()) continue;
      SchemaChange c = FieldChange(
          ChangeKind::kFieldAdded, e,
          fmt::format("field {} added (\"{}\", {})", e.id(), e.cur->name, e.cur->type_name));
      c.reread = true;
      Push(std::move(c));
    }
    for (const auto& e : entries_) {
      if (e.retyped || !e.type_changed()) continue;
      Push(FieldChange(ChangeKind::kFieldOptionsChanged, e,
                       fmt::format("field {} options changed (\"{}\", {})", e.id(), e.cur->name,
                                   e.cur->type_name)));
    }
    for (auto& c : reported_) diff_.changes.push_back(std::move(c));
  }

  const CatalogView& cat_;
  const airtable::BaseSchema& cur_;
  KnownNames known_;
  KnownNames after_known_;
  SchemaDiff diff_;
  std::vector<std::pair<const CatalogTable*, const airtable::Table*>> tables_;
  std::vector<Entry> entries_;
  std::map<std::string, Entry*, std::less<>> by_id_;
  std::map<std::string, std::string, std::less<>> blocked_;  // field id → why
  std::set<std::string> warned_;
  std::vector<SchemaChange> reported_;
};

}  // namespace

std::string_view ChangeKindName(ChangeKind kind) {
  // In the order of the enum.
  static constexpr std::string_view kNames[] = {
      "table_added",   "table_renamed",         "table_removed", "field_added",   "field_renamed",
      "field_retyped", "field_options_changed", "field_removed", "field_restored"};
  static_assert(std::size(kNames) == static_cast<size_t>(ChangeKind::kFieldRestored) + 1);
  return kNames[static_cast<size_t>(kind)];
}

bool SchemaDiff::HasApplicable() const {
  for (const auto& c : changes) {
    if (c.applies) return true;
  }
  return false;
}

Result<SchemaDiff> DiffSchema(const CatalogView& catalog, const airtable::BaseSchema& current) {
  return Differ(catalog, current).Run();
}

}  // namespace airpg::mapping
