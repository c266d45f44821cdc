#include "sync/link_writer.h"

#include <fmt/core.h>

#include "base/sql_identifier.h"
#include "pg/quote.h"

namespace airpg::sync {
namespace {

using mapping::FieldPlan;
using mapping::LinkRole;
using mapping::Storage;
using TextArray = std::vector<std::optional<std::string>>;

// One field's cells across the batch, as parallel arrays for unnest().
struct FieldCells {
  TextArray records;                       // every record whose cell is applied
  TextArray ref_records, refs, positions;  // its references, in cell order
  TextArray won;  // the records whose cell is Airtable's list winning a conflict
};

FieldCells CellsOf(const FieldPlan& f, const std::vector<mapping::RecordRow>& rows,
                   const RecordFields& airtable_won) {
  FieldCells out;
  for (const auto& row : rows) {
    bool has_refs = false;
    for (const auto& ref : row.references) {
      if (ref.field_id != f.field.id) continue;
      has_refs = true;
      out.ref_records.push_back(row.record_id);
      out.refs.push_back(ref.target);
      out.positions.push_back(std::to_string(ref.position));
    }
    // A cell rejected before any reference came out of it stays as it was.
    if (row.rejected_fields.count(f.field.id) && !has_refs) continue;
    out.records.push_back(row.record_id);
    if (airtable_won.count({row.record_id, f.field.id})) out.won.push_back(row.record_id);
  }
  return out;
}

// No pending outbox change of the key column $`column` of the row `a` of
// table $`table` (its id): the condition under which Airtable's inverse cell
// may move that key.
std::string KeyNotPending(int table, int column) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM airpg.outbox o WHERE o.table_id = ${} AND o.row_id = a.id AND "
      "o.status = 'pending' AND o.field_id IS NULL AND (o.changed_columns IS NULL OR ${} = "
      "ANY(o.changed_columns)))",
      table, column);
}

class Writer {
 public:
  Writer(pg::Transaction& tx, std::string_view schema, const mapping::SchemaPlan& plan,
         const mapping::TablePlan& table, const RecordFields& airtable_won)
      : tx_(tx), schema_(schema), plan_(plan), table_(table), airtable_won_(airtable_won) {}

  Status Field(const FieldPlan& f, const std::vector<mapping::RecordRow>& rows) {
    FieldCells cells = CellsOf(f, rows, airtable_won_);
    if (cells.records.empty()) return Status::Ok();
    params_ = {pg::ArrayLiteral(cells.records), pg::ArrayLiteral(cells.ref_records),
               pg::ArrayLiteral(cells.refs), pg::ArrayLiteral(cells.positions)};
    won_ = pg::ArrayLiteral(cells.won);
    switch (f.link_role) {
      case LinkRole::kForeignKey:
        return ForeignKey(f);
      case LinkRole::kForeignKeyInverse:
        return ForeignKeyInverse(f);
      case LinkRole::kJunction:
        return Junction(f, "from_id", "to_id", "position", "inverse_position");
      case LinkRole::kJunctionInverse:
        return Junction(f, "to_id", "from_id", "inverse_position", "position");
      default:
        break;
    }
    if (f.column.storage == Storage::kUserJunction) return Collaborators(f);
    return Status::Ok();
  }

  std::vector<DanglingLink> dangling;
  TouchedRecords touched;

 private:
  std::string Name(std::string_view table) const { return QualifiedName(schema_, table); }
  // Postgres refuses a parameter a statement does not use: each passes its own.
  std::vector<pg::Param> First(size_t n) const {
    return std::vector<pg::Param>(params_.begin(), params_.begin() + n);
  }
  std::string Linked(const FieldPlan& f) const {
    return Name(plan_.FindTable(f.linked_table_id)->table_name);
  }

  void Touch(const std::string& table_id, const pg::Rows& ids) {
    for (int i = 0; i < ids.size(); ++i) touched[table_id].insert(std::string(ids.Get(i, 0)));
  }

  // References whose target is not a row of `target` (as $2/$3 of params_).
  Status CollectDangling(const FieldPlan& f, const std::string& target) {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        tx_.Exec(fmt::format("SELECT x.rec, x.ref FROM unnest($1::text[], $2::text[]) "
                             "AS x(rec, ref) WHERE NOT EXISTS (SELECT 1 FROM {} b "
                             "WHERE b.airtable_id = x.ref)",
                             target),
                 {params_[1], params_[2]}));
    for (int i = 0; i < rows.size(); ++i) {
      dangling.push_back({std::string(rows.Get(i, 0)), f.field.id, std::string(rows.Get(i, 1))});
    }
    return Status::Ok();
  }

  Status ForeignKey(const FieldPlan& f) {
    std::string target = Linked(f);
    AIRPG_RETURN_IF_ERROR(CollectDangling(f, target));
    std::string fk = QuoteIdentifier(f.column_name);
    // The targets before and after: their inverse cells changed.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows touched,
        tx_.Exec(
            fmt::format(
                "WITH n AS (SELECT r.rec, (SELECT b.id FROM {target} b JOIN unnest($2::text[], "
                "$3::text[]) AS x(rec, ref) ON b.airtable_id = x.ref WHERE x.rec = r.rec LIMIT 1) "
                "AS id FROM unnest($1::text[]) AS r(rec)), "
                "changed AS (SELECT a.id, a.{fk} AS old_id, n.id AS new_id FROM {t} a JOIN n ON "
                "a.airtable_id = n.rec WHERE a.{fk} IS DISTINCT FROM n.id AND (a.airtable_id = "
                "ANY($4::text[]) OR NOT EXISTS (SELECT 1 FROM {target} o WHERE o.id = a.{fk} AND "
                "o.airtable_id IS NULL))), "
                "u AS (UPDATE {t} a SET {fk} = c.new_id FROM changed c WHERE a.id = c.id) "
                "SELECT b.airtable_id FROM {target} b WHERE b.id IN (SELECT old_id FROM changed "
                "UNION SELECT new_id FROM changed)",
                fmt::arg("t", Name(table_.table_name)), fmt::arg("fk", fk),
                fmt::arg("target", target)),
            {params_[0], params_[1], params_[2], won_}));
    Touch(f.linked_table_id, touched);
    return Status::Ok();
  }

  // The cell of the table a FK points at lists the records pointing here.
  Status ForeignKeyInverse(const FieldPlan& f) {
    std::string owner = Linked(f);
    const FieldPlan* key = plan_.FindField(f.inverse_field_id).second;
    if (key == nullptr || key->link_role != LinkRole::kForeignKey) return Status::Ok();
    AIRPG_RETURN_IF_ERROR(CollectDangling(f, owner));
    std::string fk = QuoteIdentifier(key->column_name);
    std::string here = Name(table_.table_name);
    // A key with a Postgres change on its way (queued, or waiting for its
    // target's rec id) is the record's own field to decide, not this cell's:
    // Airtable's inverse list predates it.
    // The records whose key changed: their own cell changed. A Postgres-born
    // row Airtable has not got yet (no airtable_id) cannot be in Airtable's
    // cell: its link is a Postgres write still on its way, kept.
    std::vector<pg::Param> unlink_params = First(3);
    unlink_params.push_back(f.linked_table_id);
    unlink_params.push_back(key->column_name);
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows unlinked,
        tx_.Exec(
            fmt::format(fmt::runtime("UPDATE {owner} a SET {fk} = NULL FROM {here} b "
                                     "WHERE a.{fk} = b.id AND b.airtable_id = ANY($1::text[]) AND "
                                     "a.airtable_id IS NOT NULL AND NOT EXISTS "
                                     "(SELECT 1 FROM unnest($2::text[], $3::text[]) AS x(rec, ref) "
                                     "WHERE x.rec = b.airtable_id AND x.ref = a.airtable_id) AND " +
                                     KeyNotPending(4, 5) + " RETURNING a.airtable_id"),
                        fmt::arg("owner", owner), fmt::arg("fk", fk), fmt::arg("here", here)),
            unlink_params));
    Touch(f.linked_table_id, unlinked);
    // Records re-pointed here: they and the record they pointed at before changed.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows linked,
        tx_.Exec(
            fmt::format(
                fmt::runtime(
                    "WITH c AS (SELECT a.id, a.airtable_id, a.{fk} AS old_id, b.id "
                    "AS new_id FROM unnest($1::text[], $2::text[]) AS x(rec, ref) JOIN {here} b ON "
                    "b.airtable_id = x.rec JOIN {owner} a ON a.airtable_id = x.ref "
                    "WHERE a.{fk} IS DISTINCT FROM b.id AND " +
                    KeyNotPending(3, 4) +
                    "), "
                    "u AS (UPDATE {owner} a SET {fk} = c.new_id FROM c WHERE a.id = c.id) "
                    "SELECT c.airtable_id, h.airtable_id FROM c LEFT JOIN {here} h "
                    "ON h.id = c.old_id"),
                fmt::arg("owner", owner), fmt::arg("fk", fk), fmt::arg("here", here)),
            {params_[1], params_[2], f.linked_table_id, key->column_name}));
    for (int i = 0; i < linked.size(); ++i) {
      if (!linked.IsNull(i, 1)) touched[table_.table_id].insert(std::string(linked.Get(i, 1)));
    }
    Touch(f.linked_table_id, linked);
    return Status::Ok();
  }

  // `mine`/`other` name the junction's columns for this side and the other;
  // `my_pos`/`other_pos` the positions in this side's and the other's cells.
  Status Junction(const FieldPlan& f, const char* mine, const char* other, const char* my_pos,
                  const char* other_pos) {
    std::string target = Linked(f);
    AIRPG_RETURN_IF_ERROR(CollectDangling(f, target));
    auto args = [&](std::string sql) {
      return fmt::format(fmt::runtime(sql), fmt::arg("j", Name(f.relation_table)),
                         fmt::arg("here", Name(table_.table_name)), fmt::arg("target", target),
                         fmt::arg("mine", mine), fmt::arg("other", other),
                         fmt::arg("my_pos", my_pos), fmt::arg("other_pos", other_pos));
    };
    // The pairs the cells of the applied records hold now, as row ids.
    const std::string wanted =
        "SELECT a.id AS here_id, b.id AS target_id, x.pos::int AS pos, x.rec "
        "FROM unnest($2::text[], $3::text[], $4::text[]) AS x(rec, ref, pos) "
        "JOIN {here} a ON a.airtable_id = x.rec JOIN {target} b ON b.airtable_id = x.ref "
        "WHERE x.rec = ANY($1::text[])";
    // Pairs that come or go change the other side's cell too. A pair whose
    // far end has no rec id yet is not in Airtable's cell and stays.
    std::vector<pg::Param> with_won = params_;
    with_won.push_back(won_);
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows removed,
        tx_.Exec(args("WITH d AS (DELETE FROM {j} j USING {here} a, {target} o WHERE j.{mine} = "
                      "a.id AND o.id = j.{other} AND a.airtable_id = ANY($1::text[]) AND "
                      "(o.airtable_id IS NOT NULL OR a.airtable_id = ANY($5::text[])) AND NOT "
                      "EXISTS (SELECT 1 FROM (" +
                      wanted +
                      ") w WHERE w.here_id = j.{mine} AND w.target_id = j.{other}) "
                      "RETURNING j.{other} AS other_id) "
                      "SELECT b.airtable_id FROM {target} b JOIN d ON b.id = d.other_id"),
                 with_won));
    Touch(f.linked_table_id, removed);
    AIRPG_RETURN_IF_ERROR(tx_.Run(args("UPDATE {j} j SET {my_pos} = w.pos FROM (" + wanted +
                                       ") w WHERE j.{mine} = w.here_id AND j.{other} = w.target_id "
                                       "AND j.{my_pos} IS DISTINCT FROM w.pos"),
                                  params_));
    // New pairs go last in the other side's cell, in this batch's order.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows added,
        tx_.Exec(args("WITH i AS (INSERT INTO {j} ({mine}, {other}, {my_pos}, {other_pos}) "
                      "SELECT w.here_id, w.target_id, w.pos, coalesce((SELECT max(j2.{other_pos}) "
                      "FROM {j} j2 WHERE j2.{other} = w.target_id), -1) + row_number() OVER "
                      "(PARTITION BY w.target_id ORDER BY w.rec, w.pos) FROM (" +
                      wanted +
                      ") w WHERE NOT EXISTS (SELECT 1 FROM {j} j WHERE j.{mine} = w.here_id "
                      "AND j.{other} = w.target_id) RETURNING {other} AS other_id) "
                      "SELECT b.airtable_id FROM {target} b JOIN i ON b.id = i.other_id"),
                 params_));
    Touch(f.linked_table_id, added);
    return Status::Ok();
  }

  Status Collaborators(const FieldPlan& f) {
    auto args = [&](std::string sql) {
      return fmt::format(fmt::runtime(sql), fmt::arg("u", Name(f.relation_table)),
                         fmt::arg("here", Name(table_.table_name)));
    };
    const std::string wanted =
        "SELECT a.id AS record_id, x.ref AS user_id, x.pos::int AS pos "
        "FROM unnest($2::text[], $3::text[], $4::text[]) AS x(rec, ref, pos) "
        "JOIN {here} a ON a.airtable_id = x.rec WHERE x.rec = ANY($1::text[])";
    AIRPG_RETURN_IF_ERROR(
        tx_.Run(args("DELETE FROM {u} u USING {here} a WHERE u.record_id = a.id "
                     "AND a.airtable_id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM (" +
                     wanted + ") w WHERE w.record_id = u.record_id AND w.user_id = u.user_id)"),
                params_));
    return tx_.Run(
        args("INSERT INTO {u} AS u (record_id, user_id, position) SELECT * FROM (" + wanted +
             ") w ON CONFLICT (record_id, user_id) DO UPDATE SET position = "
             "EXCLUDED.position WHERE u.position IS DISTINCT FROM EXCLUDED.position"),
        params_);
  }

  pg::Transaction& tx_;
  std::string_view schema_;
  const mapping::SchemaPlan& plan_;
  const mapping::TablePlan& table_;
  const RecordFields& airtable_won_;
  std::vector<pg::Param> params_;
  pg::Param won_;  // the field's records in airtable_won_, as a text[] literal
};

}  // namespace

Result<LinkOutcome> WriteLinks(pg::Transaction& tx, std::string_view schema,
                               const mapping::SchemaPlan& plan, const mapping::TablePlan& table,
                               const std::vector<mapping::RecordRow>& rows,
                               const RecordFields& airtable_won) {
  Writer writer(tx, schema, plan, table, airtable_won);
  for (const FieldPlan& f : table.fields) AIRPG_RETURN_IF_ERROR(writer.Field(f, rows));
  return LinkOutcome{std::move(writer.dangling), std::move(writer.touched)};
}

}  // namespace airpg::sync
