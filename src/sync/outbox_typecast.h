// When the outbox sends a write with `typecast`: a select cell holding a
// value that is not among the field's choices as Airtable last described
// them (the plan's options). Postgres can only hold such a value once
// someone added it to the field's choices table — serve's postgres mode
// with typecast, or SQL — so it is meant: Airtable, sent it without
// typecast, would answer 422 INVALID_MULTIPLE_CHOICE_OPTIONS and the change
// would go dead. Pure; thread-safe.
#pragma once

#include <string_view>

#include "mapping/schema_plan.h"

namespace airpg::sync {

// `cell_json`: the cell as the outbox sends it (a string for a single
// select, an array of strings for a multiple select). False for any other
// field type.
bool NeedsTypecast(const mapping::FieldPlan& field, std::string_view cell_json);

}  // namespace airpg::sync
