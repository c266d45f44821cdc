#include "emulator/formula_filter.h"

#include <string>

#include "emulator/formula_cells.h"
#include "formula/evaluator.h"
#include "formula/parser.h"
#include "formula/record.h"
#include "formula/time_zone.h"
#include "formula/type_checker.h"

namespace airpg::emulator {
namespace {

constexpr char kInvalid[] =
    "The formula for filtering records is invalid: Invalid formula. Please check your formula "
    "text.";

void UnknownFields(const formula::Node& node, const formula::Schema& schema, std::string* out) {
  if (node.kind == formula::NodeKind::kField && schema.Find(node.text) == nullptr) {
    *out += (out->empty() ? "" : ", ") + node.text;
  }
  for (const formula::NodePtr& arg : node.args) UnknownFields(*arg, schema, out);
}

class FormulaFilter final : public RecordFilter {
 public:
  FormulaFilter(formula::NodePtr root, formula::Schema schema)
      : root_(std::move(root)), schema_(std::move(schema)) {}

  bool Matches(const Base& base, const Table& table, const Record& record,
               int64_t now_millis) const override {
    formula::Record r = FormulaRecord(base, table, schema_, record);
    formula::EvalOptions options;
    options.now_millis = now_millis;
    options.zones = formula::SystemTimeZones();
    Result<bool> keep = formula::EvaluateFilter(*root_, schema_, r, options);
    return keep.ok() && *keep;
  }

 private:
  formula::NodePtr root_;
  formula::Schema schema_;
};

}  // namespace

FilterCompiler FormulaFilterCompiler() {
  return [](const Base&, const Table& table,
            const std::string& text) -> ApiResult<std::unique_ptr<RecordFilter>> {
    Result<formula::NodePtr> root = formula::Parse(text);
    if (!root.ok()) return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalid);
    formula::Schema schema = SchemaOf(table);
    std::string unknown;
    UnknownFields(**root, schema, &unknown);
    if (!unknown.empty()) {
      return Unprocessable(
          "INVALID_FILTER_BY_FORMULA",
          "The formula for filtering records is invalid: Unknown field names: " + unknown);
    }
    if (!formula::CheckTypes(**root, schema).ok()) {
      return Unprocessable("INVALID_FILTER_BY_FORMULA", kInvalid);
    }
    return std::unique_ptr<RecordFilter>(
        std::make_unique<FormulaFilter>(std::move(root).value(), std::move(schema)));
  };
}

}  // namespace airpg::emulator
