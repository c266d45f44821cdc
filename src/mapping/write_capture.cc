#include "mapping/write_capture.h"

namespace airpg::mapping {

std::vector<CaptureTarget> CaptureTargets(const SchemaPlan& plan) {
  std::vector<CaptureTarget> out;
  for (const TablePlan& t : plan.tables) {
    out.push_back({t.table_name, t.table_id, std::nullopt});
    for (const FieldPlan& f : t.fields) {
      // The inverse side of a link reads the owner's junction: one capture
      // per junction, under the field that owns it.
      bool owns_junction =
          (f.column.storage == Storage::kJunction && f.link_role == LinkRole::kJunction) ||
          f.column.storage == Storage::kUserJunction;
      if (!owns_junction || f.relation_table.empty()) continue;
      out.push_back({f.relation_table, t.table_id, f.field.id});
    }
  }
  return out;
}

}  // namespace airpg::mapping
