#include "api/shadow_diffs.h"

#include <map>

namespace airpg::api {
namespace {

using airtable::wire::Json;

// Record id → record object, for a list body or a single record.
std::map<std::string, const Json*> ById(const Json& answer) {
  std::map<std::string, const Json*> out;
  if (answer.is_object() && answer.contains("records") && answer["records"].is_array()) {
    for (const Json& r : answer["records"]) {
      if (r.is_object() && r.contains("id") && r["id"].is_string()) out[r["id"]] = &r;
    }
  } else if (answer.is_object() && answer.contains("id") && answer["id"].is_string()) {
    out[answer["id"]] = &answer;
  }
  return out;
}

std::optional<std::string> Text(const Json* value) {
  if (value == nullptr) return std::nullopt;
  return value->dump();
}

}  // namespace

std::vector<ShadowDiff> CompareAnswers(const Json& airtable, const Json& postgres) {
  std::vector<ShadowDiff> out;
  auto theirs = ById(airtable), ours = ById(postgres);
  for (const auto& [id, record] : theirs) {
    auto mine = ours.find(id);
    if (mine == ours.end()) {
      out.push_back({"", "", "", id, "", Text(record), std::nullopt});
      continue;
    }
    static const Json kNoFields = Json::object();
    const Json& a = airtable::wire::MemberAt(*record, "fields");
    const Json& b = airtable::wire::MemberAt(*mine->second, "fields");
    const Json& af = a.is_object() ? a : kNoFields;
    const Json& bf = b.is_object() ? b : kNoFields;
    for (const auto& [field, value] : af.items()) {
      const Json& other = airtable::wire::MemberAt(bf, field);
      if (other != value) {
        out.push_back({"", "", "", id, field, value.dump(),
                       other.is_null() ? std::nullopt : std::optional<std::string>(other.dump())});
      }
    }
    for (const auto& [field, value] : bf.items()) {
      if (!af.contains(field)) out.push_back({"", "", "", id, field, std::nullopt, value.dump()});
    }
  }
  for (const auto& [id, record] : ours) {
    if (!theirs.count(id)) out.push_back({"", "", "", id, "", std::nullopt, Text(record)});
  }
  return out;
}

std::vector<ShadowDiff> CompareShadowAnswers(const Json& airtable, int postgres_status,
                                             const std::string& postgres_body) {
  if (postgres_status != 200) {
    return {{"", "", "", "", kShadowAnswerField, std::nullopt,
             std::to_string(postgres_status) + " " + postgres_body}};
  }
  return CompareAnswers(airtable, Json::parse(postgres_body, nullptr, false));
}

Status RecordShadowDiffs(pg::Connection& conn, const std::vector<ShadowDiff>& diffs) {
  for (const ShadowDiff& d : diffs) {
    AIRPG_RETURN_IF_ERROR(
        conn.Run("INSERT INTO airpg.shadow_diffs (base_id, table_id, request, record_id, field, "
                 "airtable_value, postgres_value) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 {d.base_id, d.table_id, d.request, d.record_id, d.field, d.airtable_value,
                  d.postgres_value}));
  }
  return Status::Ok();
}

Result<std::vector<ShadowSummary>> SummarizeShadowDiffs(pg::Connection& conn,
                                                        std::string_view base_id) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows, conn.Exec("SELECT base_id, table_id, field, count(*), "
                               "to_char(max(at), 'YYYY-MM-DD HH24:MI:SS'), "
                               "(array_agg(record_id ORDER BY at DESC))[1] FROM airpg.shadow_diffs "
                               "WHERE $1 = '' OR base_id = $1 GROUP BY base_id, table_id, field "
                               "ORDER BY count(*) DESC, base_id, table_id, field",
                               {std::string(base_id)}));
  std::vector<ShadowSummary> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1)),
                   std::string(rows.Get(i, 2)), std::stoll(std::string(rows.Get(i, 3))),
                   std::string(rows.Get(i, 4)), std::string(rows.Get(i, 5))});
  }
  return out;
}

}  // namespace airpg::api
