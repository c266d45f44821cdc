// CaptureTargets: the relations of a base that airpg's write guard and outbox
// capture go on (catalog v6, airpg.install_write_triggers) — every table, and
// every junction a multi-record link or a collaborators field owns, with the
// table and field whose writes they are. The swap installs them at migrate
// time and the sync again at its start; both read this one list. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mapping/schema_plan.h"

namespace airpg::mapping {

struct CaptureTarget {
  std::string relation;  // table or junction name in the base's schema
  std::string table_id;  // the table whose rows the writes change
  // The field a junction stores; none for the table itself (SQL null).
  std::optional<std::string> field_id;
};

// In plan order: each table, then the junctions its fields own.
std::vector<CaptureTarget> CaptureTargets(const SchemaPlan& plan);

}  // namespace airpg::mapping
