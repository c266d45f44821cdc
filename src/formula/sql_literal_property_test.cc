// Property: whatever formula goes in, the compiled SQL holds no literal
// taken from it. Random formulas (fixed seeds, so failures reproduce) over
// every function are compiled; every literal left in the SQL must be one of
// the compiler's own constants, no marker value from the formula may appear,
// and the $n placeholders must match the parameter list exactly.
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "formula/function_registry.h"
#include "formula/parser.h"
#include "formula/sql_compiler.h"
#include "formula/testing/sql_literals.h"

namespace airpg::formula {
namespace {

using testing::AllowedSqlLiterals;
using testing::SqlLiterals;

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Formula(int depth) {
    int pick = Uniform(0, depth <= 0 ? 3 : 9);
    switch (pick) {
      case 0:
        return Number();
      case 1:
        return Text();
      case 2:
        return Field();
      case 3:
        return Uniform(0, 1) ? "TRUE()" : "BLANK()";
      case 4:
      case 5: {
        static const char* kOps[] = {"+", "-", "*", "/", "&", "=", "!=", "<", "<=", ">", ">="};
        return "(" + Formula(depth - 1) + " " + kOps[Uniform(0, 10)] + " " + Formula(depth - 1) +
               ")";
      }
      case 6:
        return "-" + Formula(depth - 1);
      default:
        return Call(depth);
    }
  }

  const std::vector<std::string>& markers() const { return markers_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Distinctive values; some look like units, formats or zones so literal
  // arguments that the compiler consumes are exercised too.
  std::string Number() {
    if (Uniform(0, 1)) return fmt::format("{}", Uniform(1, 4));
    markers_.push_back(fmt::format("{}", Uniform(3, 9) * 1111 + 0.25));
    return markers_.back();
  }

  std::string Text() {
    static const char* kText[] = {"days",
                                  "months",
                                  "YYYY-MM-DD",
                                  "UTC",
                                  "America/New_York",
                                  "Monday",
                                  "+05:30",
                                  "2024-02-29",
                                  "2024-03-10T15:45:30.123Z",
                                  "^a[bc]+$",
                                  "it's",
                                  "x\\\"y",
                                  "Robert'); DROP TABLE t;--"};
    std::string s = kText[Uniform(0, 12)];
    if (Uniform(0, 1)) {
      markers_.push_back("zq" + std::to_string(markers_.size()) + "qz");
      s += markers_.back();
    }
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  std::string Field() {
    static const char* kFields[] = {"{Name}", "{Price}", "{Due}", "{When}", "{Tags}", "{Done}"};
    return kFields[Uniform(0, 5)];
  }

  std::string Call(int depth) {
    const auto& all = AllFunctions();
    const FunctionSpec& f = all[Uniform(0, static_cast<int>(all.size()) - 1)];
    int max = f.max_args < 0 ? f.min_args + 3 : f.max_args;
    int n = Uniform(f.min_args, max);
    std::string out = std::string(f.name) + "(";
    for (int i = 0; i < n; ++i) out += (i ? ", " : "") + Formula(depth - 1);
    return out + ")";
  }

  std::mt19937 rng_;
  std::vector<std::string> markers_;
};

ColumnResolver Resolver() {
  static const Schema schema({{"fldName", "Name", "singleLineText", ""},
                              {"fldPrice", "Price", "number", ""},
                              {"fldDue", "Due", "date", ""},
                              {"fldWhen", "When", "dateTime", ""},
                              {"fldTags", "Tags", "multipleSelects", ""},
                              {"fldDone", "Done", "checkbox", ""}});
  return [](std::string_view name) -> Result<ResolvedColumn> {
    const FieldInfo* f = schema.Find(name);
    if (!f) return InvalidArgumentError("unknown field");
    return ResolvedColumn{"\"t\".\"c_" + f->id + "\"", *f, true};
  };
}

TEST(FormulaSqlLiteralPropertyTest, NoFormulaLiteralReachesTheSql) {
  SqlOptions options;
  options.record_id_sql = "\"t\".\"rid\"";
  options.created_time_sql = "\"t\".\"created\"";
  options.last_modified_sql = "\"t\".\"modified\"";
  options.zones = [](std::string_view name) -> const TimeZone* {
    static const TimeZone ny = TimeZone::FixedOffset("America/New_York", -5 * 3600);
    return name == "America/New_York" ? &ny : nullptr;
  };
  int compiled = 0;
  for (uint32_t seed = 1; seed <= 4000; ++seed) {
    Generator gen(seed);
    std::string formula = gen.Formula(4);
    auto root = Parse(formula);
    ASSERT_TRUE(root.ok()) << formula << ": " << root.status().ToString();
    for (bool filter : {false, true}) {
      auto sql = filter ? CompileFilterToSql(**root, Resolver(), options)
                        : CompileToSql(**root, Resolver(), options);
      if (!sql.ok()) {
        EXPECT_TRUE(sql.status().code() == StatusCode::kUnimplemented ||
                    sql.status().code() == StatusCode::kInvalidArgument)
            << formula << ": " << sql.status().ToString();
        continue;
      }
      ++compiled;
      std::set<int> placeholders;
      for (const std::string& literal : SqlLiterals(sql->sql, placeholders)) {
        EXPECT_TRUE(AllowedSqlLiterals().count(literal))
            << "literal " << literal << " in SQL of " << formula;
      }
      for (const std::string& marker : gen.markers()) {
        EXPECT_EQ(sql->sql.find(marker), std::string::npos) << marker << " in SQL of " << formula;
      }
      std::set<int> expected;
      for (size_t i = 1; i <= sql->params.size(); ++i) expected.insert(static_cast<int>(i));
      EXPECT_EQ(placeholders, expected) << formula;
    }
  }
  // The generator must reach the compiler's success paths, not only refusals.
  EXPECT_GT(compiled, 1000);
}

}  // namespace
}  // namespace airpg::formula

namespace airpg::formula {
namespace {

// Nesting must not multiply the SQL: every sub-expression that a
// translation uses twice is bound once.
TEST(FormulaSqlSizeTest, NestingGrowsTheSqlLinearly) {
  for (std::string fn : {"MAX(", "MIN(", "AVERAGE(", "IF(", "SWITCH(", "NOT("}) {
    std::string formula = "{Price}";
    size_t last = 0;
    for (int depth = 1; depth <= 60; ++depth) {
      if (fn == "IF(") {
        formula = "IF(" + formula + ", 1, 0)";
      } else if (fn == "SWITCH(") {
        formula = "SWITCH(" + formula + ", 1, 2, 3)";
      } else if (fn == "NOT(") {
        formula = "((" + formula + ") & \"\") = \"true\"";
      } else {
        formula = fn + formula + ", 1)";
      }
      auto root = Parse(formula);
      ASSERT_TRUE(root.ok()) << formula;
      auto sql = CompileToSql(**root, Resolver(), SqlOptions());
      ASSERT_TRUE(sql.ok()) << sql.status().ToString();
      if (depth > 1) {
        EXPECT_LT(sql->sql.size() - last, 2000u) << fn << " at depth " << depth;
      }
      last = sql->sql.size();
    }
  }
}

}  // namespace
}  // namespace airpg::formula
