// Runs every case in src/formula/testdata/*.test through the SQL compiler
// and a real Postgres: the record becomes a one-row derived table with typed
// columns (cells bound as parameters), the compiled expression is selected
// from it, and the rendered result must equal the case's expected value.
// Also checks the filter form against the evaluator's truthiness.
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formula/evaluator.h"
#include "formula/json_value.h"
#include "formula/parser.h"
#include "formula/sql_compiler.h"
#include "formula/testing/case_file.h"
#include "pg/testing/pg_test.h"

namespace airpg::formula::testing {
namespace {

using Params = std::vector<std::optional<std::string>>;

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string ColumnType(const FieldInfo& f) {
  std::string value_type = f.type == "formula" || f.type == "rollup" ? f.result_type : f.type;
  switch (TypeOfField(f)) {
    case Type::kNumber:
      return "float8";
    case Type::kBool:
      return "boolean";
    case Type::kDate:
      return value_type == "date" ? "date" : "timestamptz";
    case Type::kArray:
      return "text[]";
    default:
      return "text";
  }
}

// One JSON cell → Postgres text form for its column.
std::optional<std::string> CellParam(const JsonValue& j) {
  switch (j.kind) {
    case JsonValue::Kind::kNull:
      return std::nullopt;
    case JsonValue::Kind::kBool:
      return j.boolean ? "true" : "false";
    case JsonValue::Kind::kNumber:
      return j.text;
    case JsonValue::Kind::kString:
      return j.text;
    case JsonValue::Kind::kObject: {
      for (const char* key : {"specialValue", "name", "text", "label"}) {
        if (const JsonValue* v = j.Find(key)) return v->text;
      }
      return std::nullopt;
    }
    case JsonValue::Kind::kArray: {
      std::string out = "{";
      for (size_t i = 0; i < j.items.size(); ++i) {
        if (i) out += ",";
        auto item = CellParam(j.items[i]);
        if (!item) {
          out += "NULL";
          continue;
        }
        out += "\"";
        for (char c : *item) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += "\"";
      }
      return out + "}";
    }
  }
  return std::nullopt;
}

bool HasErrorCell(const JsonValue* cell) {
  return cell && cell->kind == JsonValue::Kind::kObject && cell->Find("error");
}

struct Table {
  std::string from;  // "(SELECT $k::type AS "col", …) AS "t""
  Params params;
};

// The record as a one-row derived table; its parameters start at $first.
Table RecordTable(const Case& c, size_t first) {
  auto doc = ParseJson(c.record_json);
  Table t;
  std::vector<std::string> columns;
  auto add = [&](std::optional<std::string> value, const std::string& type,
                 const std::string& name) {
    t.params.push_back(std::move(value));
    columns.push_back(
        fmt::format("${}::{} AS {}", first + t.params.size() - 1, type, QuoteIdent(name)));
  };
  for (const FieldInfo& f : c.schema.fields()) {
    const JsonValue* cell = doc.ok() ? doc->Find(f.name) : nullptr;
    add(cell ? CellParam(*cell) : std::nullopt, ColumnType(f), f.name);
  }
  add(c.record.record_id, "text", "airpg_record_id");
  add(FormatIsoUtc(c.record.created_millis), "timestamptz", "airpg_created");
  add(c.record.modified_millis ? std::optional(FormatIsoUtc(*c.record.modified_millis))
                               : std::nullopt,
      "timestamptz", "airpg_modified");
  std::string list;
  for (size_t i = 0; i < columns.size(); ++i) list += (i ? ", " : "") + columns[i];
  t.from = fmt::format("(SELECT {}) AS \"t\"", list);
  return t;
}

SqlOptions Options(const Case& c) {
  SqlOptions o;
  o.now_millis = c.now_millis;
  o.zones = SystemTimeZones();
  o.record_id_sql = "\"t\".\"airpg_record_id\"";
  o.created_time_sql = "\"t\".\"airpg_created\"";
  o.last_modified_sql = "\"t\".\"airpg_modified\"";
  return o;
}

ColumnResolver Resolver(const Case& c) {
  auto doc = ParseJson(c.record_json);
  return [&c, doc](std::string_view name) -> Result<ResolvedColumn> {
    const FieldInfo* f = c.schema.Find(name);
    if (!f) return InvalidArgumentError("unknown field " + std::string(name));
    bool error_free = !(doc.ok() && HasErrorCell(doc->Find(f->name)));
    return ResolvedColumn{"\"t\"." + QuoteIdent(f->name), *f, error_free};
  };
}

std::string Render(const CompiledSql& sql) {
  switch (sql.type) {
    case Type::kBool:
      return fmt::format("CASE WHEN {} THEN 'TRUE' ELSE 'FALSE' END", sql.sql);
    case Type::kDate:
      return fmt::format("to_char(({}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                         sql.sql);
    case Type::kArray:
      return fmt::format("array_to_json({})::text", sql.sql);
    case Type::kNumber:
      return fmt::format("({})::text", sql.sql);
    default:
      return fmt::format("({})::text", sql.sql);
  }
}

// The Postgres text of a result, read back into a DebugString.
std::string ReadBack(Type type, bool is_null, std::string_view text) {
  if (is_null) return "BLANK";
  switch (type) {
    case Type::kNumber:
      return DebugString(Value::Number(std::strtod(std::string(text).c_str(), nullptr)));
    case Type::kBool:
      return std::string(text);
    case Type::kDate:
      return std::string(text);
    case Type::kArray: {
      auto doc = ParseJson(text);
      if (!doc.ok()) return "!BAD ARRAY " + std::string(text);
      std::vector<Value> items;
      for (const JsonValue& item : doc->items) {
        items.push_back(item.kind == JsonValue::Kind::kNull ? Value::Blank()
                                                            : Value::Text(item.text));
      }
      return DebugString(Value::Array(std::move(items)));
    }
    default:
      return DebugString(Value::Text(std::string(text)));
  }
}

class FormulaSqlCaseTest : public pg::testing::PgTest {
 protected:
  // Returns "" when the case holds, else a description of the mismatch.
  std::string Check(const Case& c) {
    auto root = Parse(c.formula);
    if (!root.ok())
      return c.rejected ? "" : "parse failed: " + std::string(root.status().message());
    auto compiled = CompileToSql(**root, Resolver(c), Options(c));
    if (c.rejected) {
      if (compiled.ok()) return "compiled a formula the evaluator rejects";
      return compiled.status().code() == StatusCode::kInvalidArgument
                 ? ""
                 : "rejected with the wrong code: " + compiled.status().ToString();
    }
    bool must_refuse = c.eval_only || c.expected == "#ERROR!";
    if (must_refuse) {
      if (compiled.ok()) return "compiled, but the case is marked @eval-only:\n" + compiled->sql;
      return compiled.status().code() == StatusCode::kUnimplemented ? ""
                                                                    : compiled.status().ToString();
    }
    if (!compiled.ok()) return "not compiled: " + compiled.status().ToString();
    Table table = RecordTable(c, compiled->params.size() + 1);
    Params params = compiled->params;
    params.insert(params.end(), table.params.begin(), table.params.end());
    std::string query = fmt::format("SELECT {} FROM {}", Render(*compiled), table.from);
    auto rows = conn().Exec(query, params);
    if (!rows.ok()) return "query failed: " + rows.status().ToString() + "\n" + query;
    std::string got = ReadBack(compiled->type, rows->IsNull(0, 0), rows->Get(0, 0));
    if (got != c.expected) return "SQL gave " + got + "\n" + query;

    auto filter = CompileFilterToSql(**root, Resolver(c), Options(c));
    if (!filter.ok()) return "filter not compiled: " + filter.status().ToString();
    Table ftable = RecordTable(c, filter->params.size() + 1);
    Params fparams = filter->params;
    fparams.insert(fparams.end(), ftable.params.begin(), ftable.params.end());
    auto frows =
        conn().Exec(fmt::format("SELECT ({})::text FROM {}", filter->sql, ftable.from), fparams);
    if (!frows.ok()) return "filter query failed: " + frows.status().ToString();
    EvalOptions eo;
    eo.now_millis = c.now_millis;
    eo.zones = SystemTimeZones();
    auto v = Evaluate(**root, c.schema, c.record, eo);
    std::string want = v.ok() && Truthy(*v) ? "true" : "false";
    if (frows->Get(0, 0) != want) return "filter gave " + std::string(frows->Get(0, 0));
    return "";
  }
};

TEST_F(FormulaSqlCaseTest, EveryCaseMatchesInPostgres) {
  size_t ran = 0, refused = 0;
  for (const std::string& file : CaseFiles()) {
    auto cases = ReadCaseFile(file);
    ASSERT_TRUE(cases.ok()) << cases.status().ToString();
    for (const Case& c : *cases) {
      std::string problem = Check(c);
      EXPECT_EQ(problem, "") << c.file << ":" << c.line << ": " << c.formula;
      (c.eval_only || c.rejected || c.expected == "#ERROR!" ? refused : ran)++;
    }
  }
  RecordProperty("cases_run_in_postgres", static_cast<int>(ran));
  RecordProperty("cases_refused_as_expected", static_cast<int>(refused));
  EXPECT_GE(ran, 400u);
}

}  // namespace
}  // namespace airpg::formula::testing
