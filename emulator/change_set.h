// ChangeSet: what one request changed in a base — records created, changed
// (with their previous cells) and destroyed, and schema changes — collected
// by the write handlers and turned into webhook payloads after the request.
// Thread-compatible value.
#pragma once

#include <string>
#include <vector>

#include "emulator/model.h"

namespace airpg::emulator {

struct RecordChange {
  enum class Kind { kCreated, kChanged, kDestroyed };
  Kind kind;
  std::string table_id;
  std::string record_id;
  int64_t created_millis = 0;
  Json previous;  // cells before (kChanged), V1 keyed by field id
  Json current;   // cells after (kCreated, kChanged)
};

struct SchemaChange {
  enum class Kind { kFieldCreated, kFieldChanged, kTableCreated, kTableChanged };
  Kind kind;
  std::string table_id;
  std::string field_id;  // field changes
  Json previous;         // {"name","description"} or {"name","type"}
  Json current;
};

struct ChangeSet {
  std::string source = "publicApi";  // actionMetadata.source
  std::vector<RecordChange> records;
  std::vector<SchemaChange> schema;
  bool empty() const { return records.empty() && schema.empty(); }
};

}  // namespace airpg::emulator
