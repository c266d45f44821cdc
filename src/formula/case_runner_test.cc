// Runs every case in src/formula/testdata/*.test through the evaluator
// (format: testing/case_file.h). The Postgres half is sql_case_runner_test.cc.
#include <gtest/gtest.h>

#include "formula/testing/case_file.h"

namespace airpg::formula::testing {
namespace {

class FormulaCaseFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FormulaCaseFileTest, EvaluatorMatchesExpected) {
  auto cases = ReadCaseFile(GetParam());
  ASSERT_TRUE(cases.ok()) << cases.status().ToString();
  ASSERT_FALSE(cases->empty());
  for (const Case& c : *cases) {
    EXPECT_EQ(EvaluateCase(c), c.expected) << c.file << ":" << c.line << ": " << c.formula;
  }
}

std::string Name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(info.param.rfind('/') + 1);
  name = name.substr(0, name.find('.'));
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(formula, FormulaCaseFileTest, ::testing::ValuesIn(CaseFiles()), Name);

TEST(FormulaCaseFileTest, ThereAreEnoughCases) {
  size_t total = 0;
  for (const std::string& file : CaseFiles()) {
    auto cases = ReadCaseFile(file);
    ASSERT_TRUE(cases.ok()) << cases.status().ToString();
    total += cases->size();
  }
  EXPECT_GE(total, 500u);
}

}  // namespace
}  // namespace airpg::formula::testing
