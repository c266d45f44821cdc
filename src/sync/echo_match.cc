#include "sync/echo_match.h"

#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

namespace airpg::sync {

using nlohmann::json;

namespace {

bool IsEmpty(const json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_string() && v.empty()) ||
         (v.is_array() && v.empty());
}

// An object's member `key`, or the value itself when it is no object (the
// REST form of the same cell).
json Member(const json& v, const char* key) { return v.is_object() ? v.value(key, json()) : v; }

// The value in a form both cell formats reduce to; nullopt when it cannot
// be compared.
std::optional<json> Comparable(airtable::FieldType type, const json& v) {
  using airtable::FieldType;
  if (IsEmpty(v)) return json();
  auto each = [&](const char* key) -> std::optional<json> {
    if (!v.is_array()) return std::nullopt;
    json out = json::array();
    for (const json& e : v) out.push_back(Member(e, key));
    return out;
  };
  switch (type) {
    case FieldType::kSingleSelect:
      return Member(v, "name");
    case FieldType::kMultipleSelects:
      return each("name");
    case FieldType::kMultipleRecordLinks:
    case FieldType::kMultipleAttachments:
    case FieldType::kMultipleCollaborators:
      return each("id");
    case FieldType::kSingleCollaborator:
    case FieldType::kCreatedBy:
    case FieldType::kLastModifiedBy:
      return Member(v, "id");
    case FieldType::kLookup:
    case FieldType::kMultipleLookupValues:
      return std::nullopt;  // {valuesByLinkedRecordId, linkedRecordIds} against a flat array
    default:
      return v;
  }
}

}  // namespace

int64_t EchoMatch::count() const {
  int64_t n = 0;
  for (const auto& [_, ids] : echoes) n += static_cast<int64_t>(ids.size());
  return n;
}

Status RecordEcho(pg::Transaction& tx, const std::string& base_id, const std::string& table_id,
                  const airtable::Record& record) {
  json cells = json::object();
  for (size_t i = 0; i < record.field_count(); ++i) {
    json value = json::parse(record.FieldJson(i), nullptr, false);
    if (!value.is_discarded()) cells[std::string(record.FieldKey(i))] = std::move(value);
  }
  return tx.Run(
      "INSERT INTO airpg.outbox_echoes (base_id, table_id, record_id, cells) "
      "VALUES ($1, $2, $3, $4::jsonb)",
      {base_id, table_id, record.id, cells.dump()});
}

bool PayloadMatchesAnswer(const mapping::TablePlan* table, const airtable::Cells& payload,
                          const json& answer) {
  for (const auto& [field_id, text] : payload) {
    const mapping::FieldPlan* f = table != nullptr ? table->FindField(field_id) : nullptr;
    const airtable::FieldType type = f != nullptr ? f->field.type : airtable::FieldType::kUnknown;
    json said = json::parse(text, nullptr, false);
    if (said.is_discarded()) return false;
    auto it = answer.is_object() ? answer.find(field_id) : answer.end();
    std::optional<json> a = Comparable(type, said);
    std::optional<json> b =
        Comparable(type, answer.is_object() && it != answer.end() ? *it : json());
    if (!a || !b || *a != *b) return false;
  }
  return true;
}

namespace {

// One pass over the echoes committed now. `unmatched`: the records with no
// echo that would do.
Result<EchoMatch> MatchOnce(pg::Connection& conn, const std::string& base_id,
                            const mapping::SchemaPlan& plan, const WindowCells& window,
                            const json& ids, json* unmatched) {
  EchoMatch match;
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT table_id, record_id, id, cells::text FROM airpg.outbox_echoes "
                "WHERE base_id = $1 AND record_id IN (SELECT jsonb_array_elements_text($2::jsonb)) "
                "ORDER BY id",
                {base_id, ids.dump()}));
  // By table and record: the echoes in the order the answers came.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<int64_t, json>>> echoes;
  for (int i = 0; i < rows.size(); ++i) {
    echoes[{std::string(rows.Get(i, 0)), std::string(rows.Get(i, 1))}].emplace_back(
        std::stoll(std::string(rows.Get(i, 2))), json::parse(rows.Get(i, 3), nullptr, false));
  }
  for (const auto& [table_id, records] : window) {
    const mapping::TablePlan* table = plan.FindTable(table_id);
    for (const auto& [record_id, entries] : records) {
      auto found = echoes.find({table_id, record_id});
      if (found == echoes.end()) {
        unmatched->push_back(record_id);
        continue;
      }
      const auto& list = found->second;
      size_t next = 0;
      int64_t last = 0;
      bool all = true;
      for (const airtable::Cells& entry : entries) {
        bool matched = false;
        while (!matched && next < list.size()) {
          const auto& [id, cells] = list[next++];
          if (PayloadMatchesAnswer(table, entry, cells)) {
            matched = true;
            last = id;
          }
        }
        if (!matched) {
          all = false;
          break;
        }
      }
      if (all) {
        match.echoes[table_id].insert(record_id);
        match.used[record_id] = last;
      } else {
        // The record is read again now: that read comes after every write
        // these echoes are of, so none of them can be expected any more
        // (a later payload matching an older answer would be someone
        // else's change back to it).
        match.used[record_id] = list.back().first;
        unmatched->push_back(record_id);
      }
    }
  }
  return match;
}

}  // namespace

Result<EchoMatch> MatchEchoes(pg::Connection& conn, const std::string& base_id,
                              const mapping::SchemaPlan& plan, const WindowCells& window,
                              std::chrono::milliseconds in_flight_wait) {
  json ids = json::array();
  for (const auto& [_, records] : window) {
    for (const auto& [record_id, __] : records) ids.push_back(record_id);
  }
  if (ids.empty()) return EchoMatch{};
  const auto until = std::chrono::steady_clock::now() + in_flight_wait;
  for (;;) {
    json unmatched = json::array();
    AIRPG_ASSIGN_OR_RETURN(EchoMatch match,
                           MatchOnce(conn, base_id, plan, window, ids, &unmatched));
    if (unmatched.empty() || std::chrono::steady_clock::now() >= until) return match;
    // A payload can come before the answer of the same write is committed
    // (the ping races the outcome's transaction): while a dispatcher holds
    // a lease on a change of one of these records, its answer may be on
    // the way, so look again shortly rather than spend a read on it.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows in_flight,
        conn.Exec("SELECT 1 FROM airpg.outbox WHERE base_id = $1 AND status = 'pending' AND "
                  "lease_until > clock_timestamp() AND airtable_id IN (SELECT "
                  "jsonb_array_elements_text($2::jsonb)) LIMIT 1",
                  {base_id, unmatched.dump()}));
    if (in_flight.empty()) return match;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Status ForgetEchoes(pg::Transaction& tx, const std::string& base_id, const EchoMatch& match) {
  if (!match.used.empty()) {
    json used = json::object();
    for (const auto& [record_id, last] : match.used) used[record_id] = std::to_string(last);
    AIRPG_RETURN_IF_ERROR(
        tx.Run("DELETE FROM airpg.outbox_echoes e USING jsonb_each_text($2::jsonb) u "
               "WHERE e.base_id = $1 AND e.record_id = u.key AND e.id <= u.value::bigint",
               {base_id, used.dump()}));
  }
  return tx.Run(
      "DELETE FROM airpg.outbox_echoes WHERE base_id = $1 AND recorded_at < now() - interval '1 "
      "day'",
      {base_id});
}

}  // namespace airpg::sync
