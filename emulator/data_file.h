// Data files: the emulator's state as JSON — the Meta API schema shapes plus
// records, collaborators and the token's user (format in docs/emulator.md).
// Loading generates missing ids and a default "Grid view"; dumping writes a
// file that loads back to the same state. Pure; thread-safe.
#pragma once

#include <string>

#include "base/result.h"
#include "emulator/ids.h"
#include "emulator/model.h"

namespace airpg::emulator {

// Builds a model from a parsed data file. Records' `fields` may be keyed by
// field name or id; values are taken in the REST read format as given.
Result<Model> ModelFromJson(const Json& json, IdGenerator& ids, int64_t now_millis);

Json ModelToJson(const Model& model);

// Reads and parses a data file.
Result<Model> LoadModelFile(const std::string& path, IdGenerator& ids, int64_t now_millis);
Status SaveModelFile(const Model& model, const std::string& path);

}  // namespace airpg::emulator
