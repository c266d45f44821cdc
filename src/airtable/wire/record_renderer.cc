#include "airtable/wire/record_renderer.h"

#include <algorithm>
#include <utility>

#include "airtable/wire/iso_time.h"
#include "airtable/wire/json_text.h"

namespace airpg::airtable::wire {

RecordBuilder::RecordBuilder(const RenderOptions& options, TextContext context)
    : options_(options), context_(std::move(context)) {
  context_.time_zone = options.time_zone;
  context_.user_locale = options.user_locale;
}

bool RecordBuilder::Wants(std::string_view field_id) const {
  return options_.only_field_ids.empty() ||
         std::find(options_.only_field_ids.begin(), options_.only_field_ids.end(), field_id) !=
             options_.only_field_ids.end();
}

void RecordBuilder::Add(const FieldRef& field, Json value) {
  if (value.is_null() || !Wants(field.id)) return;
  std::string key(options_.by_field_id ? field.id : field.name);
  if (options_.string_format) {
    static const Json kNoOptions;
    std::string text =
        CellText(field.kind, field.options ? *field.options : kNoOptions, value, context_);
    if (!text.empty()) fields_[key] = std::move(text);
  } else {
    fields_[key] = std::move(value);
  }
}

Json RecordBuilder::Finish(std::string_view record_id, int64_t created_millis, int comment_count) {
  // createdTime has whole seconds on the wire (".000Z").
  Json out = {{"id", std::string(record_id)},
              {"createdTime", FormatIsoMillis(created_millis / 1000 * 1000)},
              {"fields", std::exchange(fields_, Json::object())}};
  if (options_.comment_count) out["commentCount"] = comment_count;
  return out;
}

bool RecordTextWriter::Wants(std::string_view field_id) const {
  return options_.only_field_ids.empty() ||
         std::find(options_.only_field_ids.begin(), options_.only_field_ids.end(), field_id) !=
             options_.only_field_ids.end();
}

void RecordTextWriter::Begin(std::string& out, std::string_view record_id, int64_t created_millis) {
  out += "{\"id\":";
  AppendJsonString(out, record_id);
  out += ",\"createdTime\":\"";
  out += FormatIsoMillis(created_millis / 1000 * 1000);  // as Finish: whole seconds
  out += "\",\"fields\":{";
  first_field_ = true;
}

void RecordTextWriter::Add(std::string& out, const FieldRef& field,
                           std::string_view canonical_json) {
  if (canonical_json == "null" || !Wants(field.id)) return;
  if (!first_field_) out += ',';
  first_field_ = false;
  AppendJsonString(out, options_.by_field_id ? field.id : field.name);
  out += ':';
  out += canonical_json;
}

void RecordTextWriter::End(std::string& out, int comment_count) {
  out += '}';
  if (options_.comment_count) {
    out += ",\"commentCount\":";
    out += std::to_string(comment_count);
  }
  out += '}';
}

}  // namespace airpg::airtable::wire
