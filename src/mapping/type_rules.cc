#include "mapping/type_rules.h"

#include <fmt/core.h>

namespace airpg::mapping {
namespace {

using airtable::FieldType;

bool Always(const FieldOptions&) { return true; }

ColumnPlan Column(std::string sql_type, std::string rule) {
  ColumnPlan p;
  p.sql_type = std::move(sql_type);
  p.rule = std::move(rule);
  return p;
}

// Airtable omits empty cells, so an empty string never arrives: that is the
// only CHECK text gets. Airtable's own validation of email, URL and phone
// values is lax (UNCONFIRMED), and a CHECK must reject nothing it accepts.
ColumnPlan Text(const FieldOptions&) {
  ColumnPlan p = Column("text", "text");
  p.check = "{col} <> ''";
  return p;
}

// Numbers are doubles in Airtable, rounded to the field's precision. The
// scale keeps those digits; a value with more digits is rejected by the
// converter (with the reason), never rounded silently.
int Scale(const FieldOptions& o, int fallback) { return o.precision >= 0 ? o.precision : fallback; }
ColumnPlan Number(const FieldOptions& o) {
  return Column(fmt::format("numeric(38,{})", Scale(o, 8)), "number");
}
ColumnPlan Currency(const FieldOptions& o) {
  return Column(fmt::format("numeric(38,{})", Scale(o, 7)), "currency");
}
// A percent is stored as the fraction Airtable sends (0.5 = 50 %): two more decimals.
ColumnPlan Percent(const FieldOptions& o) {
  return Column(fmt::format("numeric(38,{})", Scale(o, 8) + 2), "percent");
}
ColumnPlan Duration(const FieldOptions&) { return Column("interval", "duration"); }
ColumnPlan Rating(const FieldOptions& o) {
  ColumnPlan p = Column("smallint", "rating");
  p.check = fmt::format("{{col}} BETWEEN 1 AND {}", o.rating_max);
  p.min_value = 1;
  p.max_value = o.rating_max;
  return p;
}
ColumnPlan Checkbox(const FieldOptions&) {
  ColumnPlan p = Column("boolean", "checkbox");
  p.not_null = true;
  p.default_sql = "false";
  return p;
}
ColumnPlan Date(const FieldOptions&) { return Column("date", "date"); }
ColumnPlan DateTime(const FieldOptions&) { return Column("timestamptz", "dateTime"); }
ColumnPlan SingleSelect(const FieldOptions&) {
  ColumnPlan p = Column("text", "singleSelect");
  p.storage = Storage::kChoice;
  return p;
}
ColumnPlan MultipleSelects(const FieldOptions&) {
  ColumnPlan p = Column("text[]", "multipleSelects");
  p.storage = Storage::kChoiceArray;
  p.gin_index = true;
  return p;
}
ColumnPlan Collaborator(const FieldOptions&) {
  ColumnPlan p = Column("text", "collaborator");
  p.storage = Storage::kUser;
  return p;
}
ColumnPlan Collaborators(const FieldOptions&) {
  ColumnPlan p = Column("", "multipleCollaborators");
  p.storage = Storage::kUserJunction;
  return p;
}
bool SingleLink(const FieldOptions& o) { return o.prefers_single_record_link; }
ColumnPlan LinkFk(const FieldOptions&) {
  ColumnPlan p = Column("bigint", "single link");
  p.storage = Storage::kForeignKey;
  return p;
}
ColumnPlan LinkJunction(const FieldOptions&) {
  ColumnPlan p = Column("", "multiple links");
  p.storage = Storage::kJunction;
  return p;
}
ColumnPlan Attachments(const FieldOptions&) {
  ColumnPlan p = Column("", "attachments");
  p.storage = Storage::kAttachments;
  return p;
}
ColumnPlan Json(const FieldOptions&) { return Column("jsonb", "jsonb"); }
ColumnPlan Barcode(const FieldOptions&) {
  ColumnPlan p = Column("jsonb", "barcode");
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
ColumnPlan Count(const FieldOptions&) { return ReadOnly(Column("integer", "count")); }
ColumnPlan AutoNumber(const FieldOptions&) { return ReadOnly(Column("bigint", "autoNumber")); }
ColumnPlan SyncSource(const FieldOptions& o) { return ReadOnly(Text(o)); }
ColumnPlan UserReadOnly(const FieldOptions& o) { return ReadOnly(Collaborator(o)); }
bool ResultIsDate(const FieldOptions& o) { return o.result_type == "date"; }
ColumnPlan TimeDate(const FieldOptions& o) { return ReadOnly(Date(o)); }
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
      return "choices table FK";
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
      {FieldType::kNumber, "precision p (0–8)", Always, Number,
       "scale = precision; more decimals → rejects ledger"},
      {FieldType::kCurrency, "precision p (0–7)", Always, Currency, "the symbol is display only"},
      {FieldType::kPercent, "precision p (0–8)", Always, Percent,
       "the fraction Airtable sends (0.5 = 50 %), scale p + 2"},
      {FieldType::kDuration, "", Always, Duration, "seconds → interval"},
      {FieldType::kRating, "max m", Always, Rating, ""},
      {FieldType::kCheckbox, "", Always, Checkbox, "absent cell = false"},
      {FieldType::kDate, "", Always, Date, ""},
      {FieldType::kDateTime, "", Always, DateTime,
       "a UTC instant; the field's time zone is display only"},
      {FieldType::kSingleSelect, "", Always, SingleSelect,
       "choice name (commas kept); new choices inserted as they appear"},
      {FieldType::kMultipleSelects, "", Always, MultipleSelects,
       "array: order kept, `@>` queries use the GIN index"},
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
      {FieldType::kCreatedTime, "result date", ResultIsDate, TimeDate, "read-only"},
      {FieldType::kCreatedTime, "otherwise", Always, TimeDateTime, "read-only"},
      {FieldType::kLastModifiedTime, "result date", ResultIsDate, TimeDate, "read-only"},
      {FieldType::kLastModifiedTime, "otherwise", Always, TimeDateTime, "read-only"},
      {FieldType::kCreatedBy, "", Always, UserReadOnly, "read-only"},
      {FieldType::kLastModifiedBy, "", Always, UserReadOnly, "read-only"},
      {FieldType::kExternalSyncSource, "", Always, SyncSource, "read-only"},
      {FieldType::kFormula, "result type T", Always, ByResult,
       "read-only, planned as T; broken formula → jsonb + warning"},
      {FieldType::kRollup, "result type T", Always, ByResult, "read-only, planned as T"},
      {FieldType::kMultipleLookupValues, "result type T", Always, ByResult,
       "read-only, T[] when T is a plain column, else jsonb"},
      {FieldType::kLookup, "result type T", Always, ByResult, "as multipleLookupValues"},
      {FieldType::kManualSort, "", Always, Json, "undocumented; kept raw"},
  };
  return rules;
}

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
    // A computed value is a plain value: relations of the result type (links,
    // attachments, collaborators) become their values, never a second copy of
    // the relation; constraints are Airtable's business.
    std::string sql_type = "jsonb";
    if (result_plan.storage == Storage::kColumn || result_plan.storage == Storage::kChoice ||
        result_plan.storage == Storage::kChoiceArray || result_plan.storage == Storage::kUser) {
      sql_type = result_plan.sql_type;
    }
    bool lookup =
        field.type == FieldType::kMultipleLookupValues || field.type == FieldType::kLookup;
    if (lookup && sql_type != "jsonb") {
      // A lookup yields an array of the looked-up values.
      sql_type = sql_type.find("[]") == std::string::npos ? sql_type + "[]" : "jsonb";
    }
    ColumnPlan p =
        ReadOnly(Column(sql_type, fmt::format("{} → {}", field.type_name, options.result_type)));
    return p;
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
    if (rule.type == FieldType::kNumber) sql_type = "`numeric(38,p)`";
    if (rule.type == FieldType::kCurrency) sql_type = "`numeric(38,p)`";
    if (rule.type == FieldType::kPercent) sql_type = "`numeric(38,p+2)`";
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
