#include "mapping/type_rules.h"

#include <fmt/core.h>

#include <limits>

namespace airpg::mapping {
namespace {

using airtable::FieldType;

bool Always(const FieldOptions&) { return true; }

ColumnPlan Column(std::string sql_type, std::string rule, const CellConverter* cell) {
  ColumnPlan p;
  p.sql_type = std::move(sql_type);
  p.rule = std::move(rule);
  p.cell = cell;
  return p;
}

// Airtable omits empty cells, so an empty string never arrives: that is the
// only CHECK text gets. Airtable's own validation of email, URL and phone
// values is lax (UNCONFIRMED), and a CHECK must reject nothing it accepts.
ColumnPlan Text(const FieldOptions&) {
  ColumnPlan p = Column("text", "text", &TextConverter());
  p.check = "{col} <> ''";
  return p;
}

// Numbers are doubles in Airtable; a field's precision only says how many
// decimals it shows (real cells hold 0.29999999999999877 in a 0-decimal
// percent). Unconstrained numeric keeps every digit of the JSON text; the
// precision stays in the catalog's options and the column comment.
ColumnPlan Number(const FieldOptions&) { return Column("numeric", "number", &NumberConverter()); }
ColumnPlan Currency(const FieldOptions&) {
  return Column("numeric", "currency", &NumberConverter());
}
// A percent is stored as the fraction Airtable sends (0.5 = 50 %).
ColumnPlan Percent(const FieldOptions&) { return Column("numeric", "percent", &NumberConverter()); }
ColumnPlan Integer(std::string sql_type, std::string rule, int64_t low, int64_t high) {
  ColumnPlan p = Column(std::move(sql_type), std::move(rule), &IntegerConverter());
  p.min_value = low;
  p.max_value = high;
  return p;
}
ColumnPlan Duration(const FieldOptions&) {
  return Column("interval", "duration", &DurationConverter());
}
ColumnPlan Rating(const FieldOptions& o) {
  ColumnPlan p = Integer("smallint", "rating", 1, o.rating_max);
  p.check = fmt::format("{{col}} BETWEEN 1 AND {}", o.rating_max);
  return p;
}
ColumnPlan Checkbox(const FieldOptions&) {
  ColumnPlan p = Column("boolean", "checkbox", &BooleanConverter());
  p.not_null = true;
  p.default_sql = "false";
  return p;
}
ColumnPlan Date(const FieldOptions& o) {
  ColumnPlan p = Column("date", "date", &DateConverter());
  p.time_zone = o.time_zone;
  return p;
}
ColumnPlan DateTime(const FieldOptions&) {
  return Column("timestamptz", "dateTime", &InstantConverter());
}
ColumnPlan SingleSelect(const FieldOptions&) {
  ColumnPlan p = Column("text", "singleSelect", &TextConverter());
  p.storage = Storage::kChoice;
  return p;
}
// A GIN entry holds about 2.7 kB (GinMaxItemSize); a field listing a longer
// choice gets no GIN index rather than a migration that fails to build it.
constexpr size_t kGinChoiceLimit = 2000;
ColumnPlan MultipleSelects(const FieldOptions& o) {
  ColumnPlan p = Column("text[]", "multipleSelects", &TextConverter());
  p.cell_array = true;
  p.storage = Storage::kChoiceArray;
  p.gin_index = o.longest_choice <= kGinChoiceLimit;
  if (!p.gin_index) {
    p.warning = fmt::format(
        "a choice of {} bytes is longer than a GIN index entry holds; the column has no GIN index",
        o.longest_choice);
  }
  return p;
}
ColumnPlan Collaborator(const FieldOptions&) {
  ColumnPlan p = Column("text", "collaborator", nullptr);
  p.storage = Storage::kUser;
  return p;
}
ColumnPlan Collaborators(const FieldOptions&) {
  ColumnPlan p = Column("", "multipleCollaborators", nullptr);
  p.storage = Storage::kUserJunction;
  return p;
}
bool SingleLink(const FieldOptions& o) { return o.prefers_single_record_link; }
ColumnPlan LinkFk(const FieldOptions&) {
  ColumnPlan p = Column("bigint", "single link", nullptr);
  p.storage = Storage::kForeignKey;
  return p;
}
ColumnPlan LinkJunction(const FieldOptions&) {
  ColumnPlan p = Column("", "multiple links", nullptr);
  p.storage = Storage::kJunction;
  return p;
}
ColumnPlan Attachments(const FieldOptions&) {
  ColumnPlan p = Column("", "attachments", nullptr);
  p.storage = Storage::kAttachments;
  return p;
}
ColumnPlan Json(const FieldOptions&) { return Column("jsonb", "jsonb", &JsonConverter()); }
ColumnPlan Barcode(const FieldOptions&) {
  ColumnPlan p = Column("jsonb", "barcode", &JsonConverter());
  p.check = "jsonb_typeof({col}) = 'object' AND {col} ? 'text'";
  p.required_key = "text";
  return p;
}
ColumnPlan ReadOnly(ColumnPlan p) {
  p.read_only = true;
  return p;
}
ColumnPlan Button(const FieldOptions& o) { return ReadOnly(Json(o)); }
ColumnPlan AiText(const FieldOptions& o) { return ReadOnly(Json(o)); }
ColumnPlan Count(const FieldOptions&) {
  return ReadOnly(Integer("integer", "count", -2147483648LL, 2147483647LL));
}
ColumnPlan AutoNumber(const FieldOptions&) {
  return ReadOnly(Integer("bigint", "autoNumber", std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()));
}
ColumnPlan SyncSource(const FieldOptions& o) { return ReadOnly(Text(o)); }
ColumnPlan UserReadOnly(const FieldOptions& o) { return ReadOnly(Collaborator(o)); }
bool ResultIsDate(const FieldOptions& o) { return o.result_type == "date"; }
// createdTime / lastModifiedTime: the zone is the result's option.
ColumnPlan TimeDate(const FieldOptions& o) {
  Result<FieldOptions> result = ParseFieldOptions(o.result_options_json);
  return ReadOnly(Date(result.ok() ? *result : FieldOptions()));
}
ColumnPlan TimeDateTime(const FieldOptions& o) { return ReadOnly(DateTime(o)); }
// Formula, rollup and lookup rows are placeholders in the table: PlanField
// plans them by their result type.
ColumnPlan ByResult(const FieldOptions& o) { return ReadOnly(Json(o)); }

}  // namespace

std::string_view StorageName(Storage storage) {
  switch (storage) {
    case Storage::kColumn:
      return "column";
    case Storage::kForeignKey:
      return "foreign key";
    case Storage::kJunction:
      return "junction table";
    case Storage::kChoice:
      return "choices table";
    case Storage::kChoiceArray:
      return "text[] + GIN";
    case Storage::kUser:
      return "airpg.users FK";
    case Storage::kUserJunction:
      return "junction to airpg.users";
    case Storage::kAttachments:
      return "airpg.attachments";
  }
  return "?";
}

const std::vector<TypeRule>& TypeRules() {
  static const std::vector<TypeRule> rules = {
      {FieldType::kSingleLineText, "", Always, Text, ""},
      {FieldType::kEmail, "", Always, Text, "format not checked (Airtable's check is lax)"},
      {FieldType::kUrl, "", Always, Text, "format not checked"},
      {FieldType::kPhoneNumber, "", Always, Text, "format not checked; `standardize` normalises"},
      {FieldType::kMultilineText, "", Always, Text, "mention markup kept as sent"},
      {FieldType::kRichText, "", Always, Text, "markdown as sent"},
      {FieldType::kNumber, "", Always, Number,
       "every digit of the JSON text (any size, 1e-300); precision is display only: catalog "
       "options and column comment"},
      {FieldType::kCurrency, "", Always, Currency,
       "as number; symbol and precision are display only"},
      {FieldType::kPercent, "", Always, Percent,
       "as number: the fraction Airtable sends (0.5 = 50 %)"},
      {FieldType::kDuration, "", Always, Duration, "seconds → interval"},
      {FieldType::kRating, "max m", Always, Rating, ""},
      {FieldType::kCheckbox, "", Always, Checkbox, "absent cell = false"},
      {FieldType::kDate, "", Always, Date, ""},
      {FieldType::kDateTime, "", Always, DateTime,
       "a UTC instant; the field's time zone is display only"},
      {FieldType::kSingleSelect, "", Always, SingleSelect,
       "choice name (commas kept, any length); new choices inserted as they appear"},
      {FieldType::kMultipleSelects, "", Always, MultipleSelects,
       "array: order kept, `@>` queries use the GIN index (none when a choice is over 2000 "
       "bytes)"},
      {FieldType::kSingleCollaborator, "", Always, Collaborator, ""},
      {FieldType::kMultipleCollaborators, "", Always, Collaborators, "order kept"},
      {FieldType::kMultipleRecordLinks, "prefersSingleRecordLink", SingleLink, LinkFk,
       "deferrable, so load order does not matter"},
      {FieldType::kMultipleRecordLinks, "otherwise", Always, LinkJunction,
       "the inverse field maps to the same junction"},
      {FieldType::kMultipleAttachments, "", Always, Attachments,
       "downloaded during the load; content-addressed by sha256"},
      {FieldType::kBarcode, "", Always, Barcode, "{text, type}"},
      {FieldType::kButton, "", Always, Button, "read-only"},
      {FieldType::kAiText, "", Always, AiText, "read-only {state, isStale, value}"},
      {FieldType::kCount, "", Always, Count, "read-only"},
      {FieldType::kAutoNumber, "", Always, AutoNumber, "read-only"},
      {FieldType::kCreatedTime, "result date", ResultIsDate, TimeDate,
       "read-only; a full instant is taken as its day in the result's time zone"},
      {FieldType::kCreatedTime, "otherwise", Always, TimeDateTime, "read-only"},
      {FieldType::kLastModifiedTime, "result date", ResultIsDate, TimeDate,
       "read-only; as createdTime"},
      {FieldType::kLastModifiedTime, "otherwise", Always, TimeDateTime, "read-only"},
      {FieldType::kCreatedBy, "", Always, UserReadOnly, "read-only"},
      {FieldType::kLastModifiedBy, "", Always, UserReadOnly, "read-only"},
      {FieldType::kExternalSyncSource, "", Always, SyncSource, "read-only"},
      {FieldType::kFormula, "result type T", Always, ByResult,
       "read-only, planned as T; broken formula → jsonb + warning; error cells → "
       "`airpg_cell_errors`; one SQL cannot compute is computed by airpg on write (`schema plan`)"},
      {FieldType::kRollup, "result type T", Always, ByResult, "read-only, planned as T"},
      {FieldType::kMultipleLookupValues, "result type T", Always, ByResult,
       "read-only, T[] (null elements kept) when T is a plain column, else jsonb (collaborators: "
       "user objects)"},
      {FieldType::kLookup, "result type T", Always, ByResult, "as multipleLookupValues"},
      {FieldType::kManualSort, "", Always, Json, "undocumented; kept raw"},
  };
  return rules;
}

namespace {

// A computed value is a plain value: relations of the result type (links,
// attachments, collaborators) become their values as Airtable sends them
// (jsonb: a lookup of collaborators holds user objects), never a second copy
// of the relation; constraints are Airtable's business, so only the column
// type's own bounds are kept.
ColumnPlan ComputedPlan(const airtable::Field& field, const FieldOptions& options,
                        const ColumnPlan& result_plan) {
  bool plain = result_plan.cell != nullptr && (result_plan.storage == Storage::kColumn ||
                                               result_plan.storage == Storage::kChoice ||
                                               result_plan.storage == Storage::kChoiceArray);
  bool lookup = field.type == FieldType::kMultipleLookupValues || field.type == FieldType::kLookup;
  std::string rule = fmt::format("{} → {}", field.type_name, options.result_type);
  if (!plain || (lookup && result_plan.cell_array) || result_plan.cell->kind == CellKind::kJson) {
    return ReadOnly(Column("jsonb", std::move(rule), &JsonConverter()));
  }
  ColumnPlan p = Column(result_plan.sql_type, std::move(rule), result_plan.cell);
  p.cell_array = result_plan.cell_array;
  p.time_zone = result_plan.time_zone;
  if (result_plan.cell->kind == CellKind::kInteger) {
    if (result_plan.sql_type == "smallint") {
      p.min_value = -32768;
      p.max_value = 32767;
    } else {
      p.min_value =
          result_plan.sql_type == "integer" ? -2147483648LL : std::numeric_limits<int64_t>::min();
      p.max_value =
          result_plan.sql_type == "integer" ? 2147483647LL : std::numeric_limits<int64_t>::max();
    }
  }
  if (lookup) {
    // A lookup yields an array of the looked-up values; null elements stay.
    p.sql_type += "[]";
    p.cell_array = true;
  }
  return ReadOnly(std::move(p));
}

}  // namespace

Result<ColumnPlan> PlanField(const airtable::Field& field) {
  AIRPG_ASSIGN_OR_RETURN(FieldOptions options, ParseFieldOptions(field.options_json));
  bool computed = field.type == FieldType::kFormula || field.type == FieldType::kRollup ||
                  field.type == FieldType::kMultipleLookupValues ||
                  field.type == FieldType::kLookup;
  if (computed) {
    airtable::FieldType result = airtable::ParseFieldType(options.result_type);
    if (!options.is_valid || result == FieldType::kUnknown) {
      ColumnPlan p = ReadOnly(Json(options));
      p.rule = "jsonb (fallback)";
      p.warning = fmt::format("{} field \"{}\" has no usable result type; stored as jsonb",
                              field.type_name, field.name);
      return p;
    }
    airtable::Field as_result;
    as_result.id = field.id;
    as_result.name = field.name;
    as_result.type = result;
    as_result.type_name = options.result_type;
    as_result.options_json = options.result_options_json;
    AIRPG_ASSIGN_OR_RETURN(ColumnPlan result_plan, PlanField(as_result));
    return ComputedPlan(field, options, result_plan);
  }
  for (const TypeRule& rule : TypeRules()) {
    if (rule.type == field.type && rule.matches(options)) return rule.plan(options);
  }
  ColumnPlan p = Json(options);
  p.rule = "jsonb (unknown type)";
  p.warning = fmt::format("field \"{}\" has type \"{}\", unknown to this airpg; stored as jsonb",
                          field.name, field.type_name);
  return p;
}

std::string TypeMappingMarkdown() {
  std::string out =
      "| Airtable type | when | Postgres | stored as | constraint | notes |\n"
      "|---|---|---|---|---|---|\n";
  for (const TypeRule& rule : TypeRules()) {
    FieldOptions example;
    example.precision = 2;
    ColumnPlan p = rule.plan(example);
    std::string constraint;
    if (p.not_null) constraint = "NOT NULL DEFAULT " + p.default_sql;
    if (!p.check.empty()) {
      std::string check = p.check;
      for (size_t at = check.find("{col}"); at != std::string::npos; at = check.find("{col}")) {
        check.replace(at, 5, "v");
      }
      constraint += (constraint.empty() ? "" : "; ") + std::string("CHECK (") + check + ")";
    }
    std::string sql_type = p.sql_type.empty() ? "—" : "`" + p.sql_type + "`";
    if (rule.plan == ByResult) sql_type = "as T";
    if (rule.type == FieldType::kRating) constraint = "CHECK (v BETWEEN 1 AND m)";
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", airtable::FieldTypeName(rule.type),
                       rule.when, sql_type, StorageName(p.storage), constraint, rule.notes);
  }
  out +=
      "| any other type | | `jsonb` | column | | warning in the run summary, never a failure |\n";
  return out;
}

}  // namespace airpg::mapping
