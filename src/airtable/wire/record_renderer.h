// RecordBuilder: the record object of REST read responses (API.md §2.1–2.3)
// — {"id", "createdTime", "fields"[, "commentCount"]} — from V1 read-format
// cells: empty cells omitted, keyed by field name or id, fields[] honoured,
// cellFormat=string through CellText. The emulator feeds it from its model,
// src/api/ from Postgres rows; both give byte-identical records.
// RecordTextWriter writes the same bytes for cellFormat=json straight from
// cells already in canonical JSON text (json_text.h), without a tree: serve's
// list pages. Thread-compatible; one builder (writer) per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "airtable/field_type.h"
#include "airtable/wire/cell_text.h"
#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {

struct RenderOptions {
  bool by_field_id = false;    // returnFieldsByFieldId
  bool string_format = false;  // cellFormat=string
  bool comment_count = false;  // recordMetadata=commentCount
  // The request's timeZone: dateTime fields whose zone is "client" are
  // shown in it (cellFormat=string).
  std::string time_zone;
  std::string user_locale;  // the "local" date format follows it
  // Field ids to include, in any order; empty means all fields.
  std::vector<std::string> only_field_ids;
};

// One field of the table, as the builder needs it.
struct FieldRef {
  std::string_view id;
  std::string_view name;
  FieldType kind = FieldType::kUnknown;
  const Json* options = nullptr;  // null when the field has none
};

class RecordBuilder {
 public:
  // `context` supplies the zone reader and the linked-record lookup; its
  // time_zone/user_locale are taken from `options`.
  RecordBuilder(const RenderOptions& options, TextContext context);

  // Whether `field_id` is among the fields asked for (fields[]).
  bool Wants(std::string_view field_id) const;

  // Adds the cell of `field` (call in table order). A null value, or an
  // empty display text with cellFormat=string, is omitted as Airtable does.
  void Add(const FieldRef& field, Json value);

  // The record object; resets the builder's fields for the next record.
  Json Finish(std::string_view record_id, int64_t created_millis, int comment_count = 0);

 private:
  const RenderOptions& options_;
  TextContext context_;
  Json fields_ = Json::object();
};

// A cellFormat=json record appended as text: Begin, Add per cell in table
// order, End give the bytes of RecordBuilder's Finish(…).dump() for the same
// cells. REQUIRES: !options.string_format; cell texts as CanonicalJson gives
// them; field names and ids valid UTF-8; no two fields with the same key.
class RecordTextWriter {
 public:
  explicit RecordTextWriter(const RenderOptions& options) : options_(options) {}

  bool Wants(std::string_view field_id) const;

  void Begin(std::string& out, std::string_view record_id, int64_t created_millis);
  // Skips a "null" cell and fields not asked for, as RecordBuilder::Add.
  void Add(std::string& out, const FieldRef& field, std::string_view canonical_json);
  void End(std::string& out, int comment_count = 0);

 private:
  const RenderOptions& options_;
  bool first_field_ = true;
};

}  // namespace airpg::airtable::wire
