// SimpleFilterCompiler (record_filter.h): the built-in subset, parsed once
// per request and evaluated per record.
#include "emulator/record_filter.h"
#include "emulator/simple_filter_ast.h"

namespace airpg::emulator {
namespace {

class SimpleFilter final : public RecordFilter {
 public:
  explicit SimpleFilter(FilterNode root) : root_(std::move(root)) {}
  bool Matches(const Base& base, const Table& table, const Record& record,
               int64_t now_millis) const override {
    return FilterTruthy(EvaluateFilter(root_, base, table, record, now_millis));
  }

 private:
  FilterNode root_;
};

}  // namespace

FilterCompiler SimpleFilterCompiler() {
  return [](const Base&, const Table& table,
            const std::string& formula) -> ApiResult<std::unique_ptr<RecordFilter>> {
    EMU_ASSIGN_OR_RETURN(FilterNode root, ParseFilter(table, formula));
    return std::unique_ptr<RecordFilter>(std::make_unique<SimpleFilter>(std::move(root)));
  };
}

}  // namespace airpg::emulator
