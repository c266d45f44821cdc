// After every table of a run is loaded: resolve link and collaborator
// references into foreign keys and junction rows (dangling ones → rejects),
// fill the choices tables, build keys, constraints and indexes, comment
// everything and attach the audit triggers — one transaction, so a killed
// run redoes it whole.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "mapping/ddl.h"
#include "migrate/load_context.h"

namespace airpg::migrate {

// Returns the number of references rejected (links to records that do not exist).
Result<int64_t> FinishStaging(LoadContext& ctx, const mapping::SchemaDdl& ddl);

}  // namespace airpg::migrate
