#include "sync_level.h"

#include <fmt/core.h>

#include <cmath>
#include <set>

#include "base/sql_identifier.h"
#include "http/client.h"
#include "pg/quote.h"

namespace airpg::testing {
namespace {

using nlohmann::json;
using Pair = std::pair<std::string, std::string>;

constexpr size_t kExamples = 8;

// Collects problems, keeping the first few and counting the rest.
class Problems {
 public:
  void Add(std::string text) {
    if (shown_.size() < kExamples) shown_.push_back(std::move(text));
    ++count_;
  }
  std::string Text() const {
    std::string out;
    for (const auto& p : shown_) out += p + "\n";
    if (count_ > shown_.size()) out += fmt::format("… {} problems in all\n", count_);
    return out;
  }

 private:
  std::vector<std::string> shown_;
  size_t count_ = 0;
};

const mapping::FieldPlan* FieldNamed(const mapping::TablePlan& table, const std::string& name) {
  for (const auto& f : table.fields) {
    if (f.field.name == name) return &f;
  }
  return nullptr;
}

struct Junction {
  const mapping::TablePlan* from;
  const mapping::TablePlan* to;
  const mapping::FieldPlan* field;  // the owning side (from_id = `from`)
  std::string name;                 // qualified
};

std::vector<Junction> Junctions(const sync::LiveBase& base) {
  std::vector<Junction> out;
  for (const auto& t : base.plan.tables) {
    for (const auto& f : t.fields) {
      if (f.link_role != mapping::LinkRole::kJunction) continue;
      out.push_back({&t, base.plan.FindTable(f.linked_table_id), &f,
                     QualifiedName(base.schema, f.relation_table)});
    }
  }
  return out;
}

std::string Live(const sync::LiveBase& base, const mapping::TablePlan& t) {
  return QualifiedName(base.schema, t.table_name);
}

}  // namespace

Result<AirtableState> ReadAirtableState(const std::string& emulator_url,
                                        const sync::LiveBase& base) {
  http::Client http;
  AirtableState state;
  for (const auto& t : base.plan.tables) {
    auto& records = state[t.table_id];
    std::string offset;
    do {
      std::string url =
          fmt::format("{}/__emulator/ui/{}/{}?returnFieldsByFieldId=true&pageSize=100",
                      emulator_url, base.base_id, t.table_id);
      if (!offset.empty()) url += "&offset=" + offset;
      AIRPG_ASSIGN_OR_RETURN(http::Response response, http.Send("GET", url));
      if (response.status != 200) {
        return InternalError(
            fmt::format("listing {}: {} {}", t.table_id, response.status, response.body));
      }
      json page = json::parse(response.body, nullptr, false);
      if (!page.is_object()) return InternalError("listing " + t.table_id + ": not JSON");
      for (const json& r : page["records"]) records[r["id"]] = r["fields"];
      offset = page.value("offset", "");
    } while (!offset.empty());
  }
  return state;
}

std::string Differences(pg::Connection& conn, const sync::LiveBase& base,
                        const AirtableState& state, bool live_links_only) {
  Problems problems;
  for (const auto& t : base.plan.tables) {
    const mapping::FieldPlan* amount = FieldNamed(t, "Amount");
    if (amount == nullptr) return "table " + t.table_id + " has no Amount field";
    auto rows =
        conn.Exec(fmt::format("SELECT airtable_id, {}::text FROM {} WHERE deleted_at IS NULL",
                              QuoteIdentifier(amount->column_name), Live(base, t)));
    if (!rows.ok()) return rows.status().ToString();
    std::map<std::string, std::string> pg_rows;
    for (int i = 0; i < rows->size(); ++i) {
      pg_rows[std::string(rows->Get(i, 0))] = std::string(rows->Get(i, 1));
    }
    const auto& records = state.at(t.table_id);
    for (const auto& [id, fields] : records) {
      auto it = pg_rows.find(id);
      if (it == pg_rows.end()) {
        problems.Add(fmt::format("{} {}: not in Postgres (lost)", t.table_name, id));
        continue;
      }
      auto cell = fields.find(amount->field.id);
      double want = cell == fields.end() ? NAN : cell->get<double>();
      double have = it->second.empty() ? NAN : std::stod(it->second);
      if (!(std::fabs(want - have) < 0.001)) {
        problems.Add(fmt::format("{} {}: Amount {} in Postgres, {} in Airtable", t.table_name, id,
                                 it->second, cell == fields.end() ? "none" : cell->dump()));
      }
    }
    for (const auto& [id, _] : pg_rows) {
      if (!records.count(id)) {
        problems.Add(fmt::format("{} {}: live in Postgres, gone from Airtable", t.table_name, id));
      }
    }
  }
  for (const Junction& j : Junctions(base)) {
    std::set<Pair> want;
    for (const auto& [id, fields] : state.at(j.from->table_id)) {
      auto cell = fields.find(j.field->field.id);
      if (cell == fields.end()) continue;
      for (const json& to : *cell) want.insert({id, to.get<std::string>()});
    }
    auto rows = conn.Exec(fmt::format(
        "SELECT a.airtable_id, b.airtable_id FROM {} j JOIN {} a ON a.id = j.from_id JOIN {} b "
        "ON b.id = j.to_id{}",
        j.name, Live(base, *j.from), Live(base, *j.to),
        live_links_only ? " WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL" : ""));
    if (!rows.ok()) return rows.status().ToString();
    std::set<Pair> have;
    for (int i = 0; i < rows->size(); ++i) {
      have.insert({std::string(rows->Get(i, 0)), std::string(rows->Get(i, 1))});
    }
    for (const Pair& p : want) {
      if (!have.count(p)) {
        problems.Add(
            fmt::format("{}: link {} → {} missing in Postgres", j.name, p.first, p.second));
      }
    }
    for (const Pair& p : have) {
      if (!want.count(p)) {
        problems.Add(fmt::format("{}: link {} → {} not in Airtable", j.name, p.first, p.second));
      }
    }
  }
  return problems.Text();
}

std::string DoubleApplies(pg::Connection& conn, const sync::LiveBase& base) {
  Problems problems;
  auto each = [&](const std::string& sql, const std::vector<pg::Param>& params,
                  const std::string& what) {
    auto rows = conn.Exec(sql, params);
    if (!rows.ok()) {
      problems.Add(what + ": " + rows.status().ToString());
      return;
    }
    for (int i = 0; i < rows->size(); ++i) problems.Add(what + ": " + std::string(rows->Get(i, 0)));
  };
  for (const auto& t : base.plan.tables) {
    // (Rows Postgres made and deleted before they reached Airtable have none.)
    each(fmt::format("SELECT airtable_id || ' x' || count(*) FROM {} WHERE airtable_id IS NOT "
                     "NULL GROUP BY airtable_id HAVING count(*) > 1",
                     Live(base, t)),
         {}, "duplicate row in " + t.table_name);
    each(
        "SELECT airtable_id || ' x' || count(*) FROM airpg.audit_log WHERE schema_name = $1 "
        "AND table_name = $2 AND operation = 'INSERT' AND airtable_id IS NOT NULL GROUP BY "
        "airtable_id HAVING count(*) > 1",
        {base.schema, t.table_name}, "inserted twice into " + t.table_name);
    const mapping::FieldPlan* amount = FieldNamed(t, "Amount");
    if (amount == nullptr) continue;
    // Every change the sync made to Amount, in the order it made them: a
    // value going down is an older version applied after a newer one.
    each(
        "SELECT airtable_id || ': ' || (old_row ->> $3) || ' -> ' || (new_row ->> $3) || "
        "' (audit ' || audit_id || ')' FROM airpg.audit_log WHERE schema_name = $1 AND "
        "table_name = $2 AND origin = 'airtable' AND operation = 'UPDATE' AND $3 = ANY "
        "(changed_columns) AND (new_row ->> $3)::numeric < (old_row ->> $3)::numeric "
        "ORDER BY audit_id",
        {base.schema, t.table_name, amount->column_name}, "Amount went back in " + t.table_name);
  }
  for (const Junction& j : Junctions(base)) {
    each(fmt::format("SELECT from_id || ' → ' || to_id || ' x' || count(*) FROM {} "
                     "GROUP BY from_id, to_id HAVING count(*) > 1",
                     j.name),
         {}, "duplicate link in " + j.name);
  }
  return problems.Text();
}

std::string DeletedStayDeleted(pg::Connection& conn, const sync::LiveBase& base,
                               const std::vector<std::pair<std::string, std::string>>& deleted,
                               int64_t* tombstoned) {
  Problems problems;
  *tombstoned = 0;
  for (const auto& t : base.plan.tables) {
    std::vector<std::optional<std::string>> ids;
    for (const auto& [table, id] : deleted) {
      if (table == t.table_id) ids.push_back(id);
    }
    auto rows = conn.Exec(
        fmt::format("SELECT airtable_id, deleted_at IS NOT NULL FROM {} WHERE airtable_id = "
                    "ANY($1::text[])",
                    Live(base, t)),
        {pg::ArrayLiteral(ids)});
    if (!rows.ok()) return rows.status().ToString();
    for (int i = 0; i < rows->size(); ++i) {
      if (rows->Get(i, 1) == "t") {
        ++*tombstoned;
      } else {
        problems.Add(fmt::format("{} {}: deleted in Airtable, live in Postgres", t.table_name,
                                 rows->Get(i, 0)));
      }
    }
  }
  return problems.Text();
}

}  // namespace airpg::testing
