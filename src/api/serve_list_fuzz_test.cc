// Runs serve_list_fuzz.cc's harness in every test run, on the run's cluster:
// its committed seeds, list_plan_fuzz's seeds, and a few thousand list
// requests generated from a small grammar of formulas, sorts and fields
// (some with random bytes changed) go through api::ApiService::Handle in
// postgres mode against a real table. None may be answered with a 5xx (a
// statement Postgres refused included) or outside Airtable's answer shape.
// The generator is seeded; a failure prints the seed and the input
// (AIRPG_FUZZ_TRACE=1 prints every input, to find one that hangs).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "api/serve_list_fuzz.h"
#include "http/url.h"
#include "pg/testing/pg_test.h"

namespace airpg::api {
namespace {

class ServeListFuzzTest : public pg::testing::PgTest {};

std::vector<std::string> ReadDir(const char* dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(text.str());
  }
  return out;
}

// List requests from a small grammar, as a fuzzer would mutate its way to.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Next() {
    std::string formula = Expr(3);
    std::vector<std::pair<std::string, std::string>> sorts;
    for (int i = Pick(3); i > 0; --i) sorts.push_back({Field(), Pick(3) ? "asc" : "desc"});
    std::vector<std::string> fields;
    for (int i = Pick(3); i > 0; --i) fields.push_back(Field());
    std::string out;
    if (Pick(2)) {
      out = "filterByFormula=" + http::PercentEncode(formula);
      for (size_t i = 0; i < sorts.size(); ++i) {
        std::string key = "sort[" + std::to_string(i) + "]";
        out +=
            "&" + http::PercentEncode(key + "[field]") + "=" + http::PercentEncode(sorts[i].first);
        out += "&" + http::PercentEncode(key + "[direction]") + "=" + sorts[i].second;
      }
      for (const std::string& f : fields) out += "&fields%5B%5D=" + http::PercentEncode(f);
      if (Pick(3) == 0) out += "&maxRecords=" + std::to_string(Pick(20) - 2);
      if (Pick(3) == 0) out += "&pageSize=" + std::to_string(Pick(120) - 5);
    } else {
      nlohmann::json body = {{"filterByFormula", formula}};
      nlohmann::json sort = nlohmann::json::array();
      for (const auto& [field, direction] : sorts) {
        sort.push_back({{"field", field}, {"direction", direction}});
      }
      if (!sort.empty()) body["sort"] = sort;
      if (!fields.empty()) body["fields"] = fields;
      if (Pick(3) == 0) body["pageSize"] = Pick(120) - 5;
      out = body.dump();
    }
    // Now and then a few bytes changed, as a mutation would.
    if (Pick(4) == 0) {
      for (int i = Pick(4) + 1; i > 0 && !out.empty(); --i) {
        out[Pick(static_cast<int>(out.size()))] = static_cast<char>(Pick(255) + 1);
      }
    }
    return out;
  }

 private:
  int Pick(int n) { return n <= 0 ? 0 : std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <size_t N>
  const char* One(const char* const (&options)[N]) {
    return options[Pick(static_cast<int>(N))];
  }

  std::string Field() {
    static const char* const kFields[] = {"Na\"me'; --", "Amount", "When (x)", "Done",
                                          "Tier",        "Tags",   "Twice",    "fldNum00000000001",
                                          "Nope",        ""};
    return One(kFields);
  }

  std::string Atom() {
    static const char* const kAtoms[] = {
        "{Na\"me'; --}",  "{Amount}",    "{When (x)}", "{Done}",  "{Tier}",      "{Tags}",
        "{Twice}",        "1",           "-2.5",       "0",       "'O\\'Brien'", "\"A'\"",
        "\"\"",           "TRUE()",      "FALSE()",    "BLANK()", "NOW()",       "TODAY()",
        "\"2024-03-01\"", "RECORD_ID()", "1e308",      "{Nope}"};
    return One(kAtoms);
  }

  std::string Expr(int depth) {
    if (depth == 0 || Pick(3) == 0) return Atom();
    static const char* const kOps[] = {"=", "!=", "<", ">", "<=", ">=", "&", "+", "-", "*", "/"};
    static const char* const kUnary[] = {"NOT", "LEN",   "LOWER", "UPPER", "TRIM", "VALUE",
                                         "ABS", "ROUND", "INT",   "YEAR",  "T",    "ARRAYJOIN"};
    static const char* const kBinary[] = {"AND",      "OR",          "FIND",          "SEARCH",
                                          "IS_AFTER", "IS_BEFORE",   "DATEADD",       "LEFT",
                                          "MOD",      "CONCATENATE", "DATETIME_DIFF", "REPT"};
    switch (Pick(4)) {
      case 0:
        return Expr(depth - 1) + One(kOps) + Expr(depth - 1);
      case 1:
        return std::string(One(kUnary)) + "(" + Expr(depth - 1) + ")";
      case 2:
        return std::string(One(kBinary)) + "(" + Expr(depth - 1) + ", " + Expr(depth - 1) + ")";
      default:
        return "IF(" + Expr(depth - 1) + ", " + Expr(depth - 1) + ", " + Expr(depth - 1) + ")";
    }
  }

  std::mt19937 rng_;
};

TEST_F(ServeListFuzzTest, SeedsAndGeneratedRequestsGetNoServerErrorAndAirtablesShape) {
  Status ready = ServeListFuzzSetUp(url());
  ASSERT_TRUE(ready.ok()) << ready.ToString();
  int listed = 0, inputs = 0;
  for (const char* dir : {AIRPG_SERVE_LIST_SEEDS, AIRPG_LIST_PLAN_SEEDS}) {
    for (const std::string& input : ReadDir(dir)) {
      EXPECT_EQ(ServeListFuzzProblem(input), "") << dir << ": " << input;
      listed += ServeListFuzzLastListed();
      ++inputs;
    }
  }
  EXPECT_GE(inputs, 10);
  EXPECT_GE(listed, 8);  // the seeds reach real statements, not only refusals
  constexpr uint32_t kSeed = 20261207;
  Generator generate(kSeed);
  int generated_listed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string input = generate.Next();
    if (std::getenv("AIRPG_FUZZ_TRACE")) std::cerr << i << ": " << input << std::endl;
    std::string problem = ServeListFuzzProblem(input);
    ASSERT_EQ(problem, "") << "seed " << kSeed << ", input " << i << ": " << input;
    generated_listed += ServeListFuzzLastListed();
  }
  // A good share is answered with records, so statements really ran.
  EXPECT_GE(generated_listed, 200);
  std::cout << "[ serve list fuzz ] " << generated_listed << " of 2000 generated requests listed\n";
}

}  // namespace
}  // namespace airpg::api
