// Helpers for the Meta API write handlers: validating a new field's config
// and creating the inverse side of a new link field. Internal to emulator/.
// Called with the service lock held.
#pragma once

#include <string_view>

#include "emulator/model.h"
#include "emulator/service.h"
#include "emulator/wire.h"

namespace airpg::emulator {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// A field from a create-field/create-table config: name unique in `table`
// (case-insensitive), type creatable, link target existing.
ApiResult<Field> NewFieldFromConfig(Call& call, Base& base, const Table& table, const Json& config);

// For a new multipleRecordLinks field without an inverse, adds the inverse
// field to the linked table and cross-references both.
void AddInverseLink(Call& call, Base& base, Table& table, Field& field);

}  // namespace airpg::emulator
