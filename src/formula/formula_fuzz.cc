// libFuzzer target for the parser, type checker, evaluator and SQL compiler.
// Checks, beyond "no crash, no sanitizer report": a parsed formula prints to
// text that parses back to the same text; compiled SQL never contains the
// compiler's own constants as literals and numbers its parameters $1…$n
// without gaps.
// Build with clang (see docs/formula.md, "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/sql_compiler.h"
#include "formula/testing/sql_literals.h"
#include "formula/type_checker.h"

namespace {

using airpg::formula::FieldInfo;

const airpg::formula::Schema& FuzzSchema() {
  static const airpg::formula::Schema schema({{"fldName", "Name", "singleLineText", ""},
                                              {"fldPrice", "Price", "number", ""},
                                              {"fldDue", "Due", "date", ""},
                                              {"fldWhen", "When", "dateTime", ""},
                                              {"fldTags", "Tags", "multipleSelects", ""},
                                              {"fldDone", "Done", "checkbox", ""}});
  return schema;
}

const airpg::formula::Record& FuzzRecord() {
  static const airpg::formula::Record record = [] {
    auto r = airpg::formula::RecordFromJson(
        FuzzSchema(),
        R"({"Name": "Zoë", "Price": 12.5, "Due": "2024-02-29", "When": "2024-03-10T15:45:30.123Z",
            "Tags": ["a", "b"], "Done": true})");
    return r.ok() ? *r : airpg::formula::Record();
  }();
  return record;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto root = airpg::formula::Parse(input);
  if (!root.ok()) return 0;
  std::string text = airpg::formula::ToFormulaText(**root);
  auto again = airpg::formula::Parse(text);
  Check(again.ok() && airpg::formula::ToFormulaText(**again) == text);

  auto type = airpg::formula::CheckTypes(**root, FuzzSchema());
  (void)type;
  airpg::formula::EvalOptions eval_options;
  eval_options.now_millis = 1'710'505'845'250;
  auto value = airpg::formula::Evaluate(**root, FuzzSchema(), FuzzRecord(), eval_options);
  (void)value;

  airpg::formula::ColumnResolver resolve =
      [](std::string_view name) -> airpg::Result<airpg::formula::ResolvedColumn> {
    const FieldInfo* f = FuzzSchema().Find(name);
    if (!f) return airpg::InvalidArgumentError("unknown field");
    return airpg::formula::ResolvedColumn{"\"t\".\"" + f->id + "\"", *f, true};
  };
  airpg::formula::SqlOptions sql_options;
  sql_options.record_id_sql = "\"t\".\"rid\"";
  for (bool filter : {false, true}) {
    auto sql = filter ? airpg::formula::CompileFilterToSql(**root, resolve, sql_options)
                      : airpg::formula::CompileToSql(**root, resolve, sql_options);
    if (!sql.ok()) continue;
    std::set<int> placeholders;
    for (const std::string& literal :
         airpg::formula::testing::SqlLiterals(sql->sql, placeholders)) {
      Check(airpg::formula::testing::AllowedSqlLiterals().count(literal) == 1);
    }
    Check(placeholders.size() == sql->params.size());
    Check(placeholders.empty() || (*placeholders.begin() == 1 &&
                                   *placeholders.rbegin() == static_cast<int>(sql->params.size())));
  }
  return 0;
}
