#include "api/shadow_diffs.h"

#include <map>
#include <set>
#include <utility>

#include "http/url.h"

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

// The record ids of a list body, in the order given.
std::vector<std::string> IdsInOrder(const Json& answer) {
  std::vector<std::string> out;
  const Json& records = airtable::wire::MemberAt(answer, "records");
  if (!records.is_array()) return out;
  for (const Json& r : records) {
    const Json& id = airtable::wire::MemberAt(r, "id");
    if (id.is_string()) out.push_back(id);
  }
  return out;
}

// One difference when the records both answers have come in another order
// (a record only one side has is already a difference of its own).
std::optional<ShadowDiff> OrderDiff(const Json& airtable, const Json& postgres) {
  std::vector<std::string> theirs = IdsInOrder(airtable), ours = IdsInOrder(postgres);
  std::set<std::string> in_theirs(theirs.begin(), theirs.end()), in_ours(ours.begin(), ours.end());
  std::vector<std::string> a, b;
  for (const std::string& id : theirs) {
    if (in_ours.count(id)) a.push_back(id);
  }
  for (const std::string& id : ours) {
    if (in_theirs.count(id)) b.push_back(id);
  }
  if (a == b) return std::nullopt;
  return ShadowDiff{"", "", "", "", kShadowOrderField, Json(theirs).dump(), Json(ours).dump()};
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

bool AsksForOrder(std::string_view target, std::string_view body) {
  auto [path, query] = http::SplitTarget(target);
  for (const auto& [key, value] : http::ParseQuery(query)) {
    if (key.rfind("sort[", 0) == 0 || (key == "view" && !value.empty())) return true;
  }
  if (body.empty()) return false;
  Json parsed = Json::parse(body, nullptr, false);
  const Json& sort = airtable::wire::MemberAt(parsed, "sort");
  const Json& view = airtable::wire::MemberAt(parsed, "view");
  return (sort.is_array() && !sort.empty()) || (view.is_string() && !view.empty());
}

std::vector<ShadowDiff> CompareShadowAnswers(const Json& airtable, int postgres_status,
                                             const std::string& postgres_body, bool ordered) {
  if (postgres_status != 200) {
    return {{"", "", "", "", kShadowAnswerField, std::nullopt,
             std::to_string(postgres_status) + " " + postgres_body}};
  }
  Json postgres = Json::parse(postgres_body, nullptr, false);
  std::vector<ShadowDiff> out = CompareAnswers(airtable, postgres);
  if (ordered) {
    if (std::optional<ShadowDiff> order = OrderDiff(airtable, postgres)) {
      out.push_back(std::move(*order));
    }
  }
  return out;
}

std::vector<ShadowDiff> PersistingDiffs(const std::vector<ShadowDiff>& first,
                                        std::vector<ShadowDiff> second) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const ShadowDiff& d : first) seen.insert({d.record_id, d.field});
  std::vector<ShadowDiff> out;
  for (ShadowDiff& d : second) {
    if (seen.count({d.record_id, d.field})) out.push_back(std::move(d));
  }
  return out;
}

Result<std::optional<int64_t>> PollWatermarkMicros(pg::Connection& conn,
                                                   const std::string& table_id) {
  // airpg.sync_tables belongs to the sync (src/sync/safety_poll.cc writes
  // it); api/ may not use sync/, so this one read is here.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT floor(extract(epoch FROM poll_watermark) * 1e6)::bigint FROM "
                "airpg.sync_tables WHERE table_id = $1 AND poll_watermark IS NOT "
                "NULL AND isfinite(poll_watermark)",
                {table_id}));
  if (rows.empty()) return std::optional<int64_t>();
  return std::optional<int64_t>(std::stoll(std::string(rows.Get(0, 0))));
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
