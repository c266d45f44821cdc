#include "api/route_handover.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "airtable/wire/ids.h"
#include "base/log.h"
#include "http/url.h"
#include "pg/outbox_backlog.h"
#include "pg/outbox_keys.h"

namespace airpg::api {
namespace {

using nlohmann::json;

bool IsRecordId(const json& v) {
  return v.is_string() && airtable::wire::LooksLikeId(v.get_ref<const std::string&>(), "rec");
}

// Applies `visit` to every string of a write body that can name a record:
// `records[].id` and the elements of array cells (links). Plain text cells
// are left alone, whatever they hold.
template <typename Visit>
void VisitIds(json& body, Visit visit) {
  auto cells = [&](json& fields) {
    if (!fields.is_object()) return;
    for (auto& [name, cell] : fields.items()) {
      if (!cell.is_array()) continue;
      for (json& element : cell) {
        if (IsRecordId(element)) visit(element);
      }
    }
  };
  if (!body.is_object()) return;
  if (auto it = body.find("fields"); it != body.end()) cells(*it);
  auto records = body.find("records");
  if (records == body.end() || !records->is_array()) return;
  for (json& record : *records) {
    if (!record.is_object()) continue;
    if (auto id = record.find("id"); id != record.end() && IsRecordId(*id)) visit(*id);
    if (auto fields = record.find("fields"); fields != record.end()) cells(*fields);
  }
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Waits until the table's changes queued before now are sent, at most `wait`.
// False when some are still queued then.
Result<bool> OutboxCaughtUp(pg::Connection& conn, const std::string& table_id,
                            std::chrono::milliseconds wait) {
  AIRPG_ASSIGN_OR_RETURN(int64_t last, pg::LastPendingChange(conn, table_id));
  if (last == 0) return true;
  // The outbox runs in another thread (or process): polled, from 2 ms up to
  // 50 ms, so a change sent quickly is seen quickly.
  auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(bool pending, pg::PendingThrough(conn, table_id, last));
    if (!pending) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_until(std::min(deadline, now + pause));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

// The record ids a request's target names: the path's record and a batch
// delete's `records[]`.
std::vector<std::string> TargetIds(const http::Request& request) {
  std::vector<std::string> ids;
  auto [encoded_path, query] = http::SplitTarget(request.target);
  std::vector<std::string> path = http::SplitPath(encoded_path);
  if (path.size() == 4 && airtable::wire::LooksLikeId(path[3], "rec")) ids.push_back(path[3]);
  for (const auto& [key, value] : http::ParseQuery(query)) {
    if ((key == "records[]" || key == "records") && airtable::wire::LooksLikeId(value, "rec")) {
      ids.push_back(value);
    }
  }
  return ids;
}

// The records a write names (the path's record, `records[].id`, a batch
// delete's `records[]`), or kEveryRecord for an upsert, which may change
// records it cannot name.
std::vector<std::string> WrittenRecords(const http::Request& request) {
  std::vector<std::string> ids = TargetIds(request);
  json body = request.body.empty() ? json() : json::parse(request.body, nullptr, false);
  if (!body.is_object()) return ids;
  if (body.contains("performUpsert")) return {pg::kEveryRecord};
  auto records = body.find("records");
  if (records == body.end() || !records->is_array()) return ids;
  for (const json& record : *records) {
    if (!record.is_object()) continue;
    if (auto id = record.find("id"); id != record.end() && IsRecordId(*id)) ids.push_back(*id);
  }
  return ids;
}

// `request` with Airtable's ids in place of the reserved ids of pushed
// records (docs/serve.md, "Reserved ids after the flip").
Result<http::Request> WithAirtableIds(pg::Connection& conn, const http::Request& request) {
  // Every id the request names: the path's record, `records[]` (a batch
  // delete), the body's record ids and link cells.
  std::vector<std::string> ids = TargetIds(request);
  json body = request.body.empty() ? json() : json::parse(request.body, nullptr, false);
  VisitIds(body, [&](json& id) { ids.push_back(id); });
  if (ids.empty()) return request;
  AIRPG_ASSIGN_OR_RETURN(auto pushed, pg::PushedIdsOfReserved(conn, ids));
  if (pushed.empty()) return request;

  http::Request out = request;
  // Record ids are letters and digits: a reserved id in the target is that id.
  for (const auto& [reserved, airtable_id] : pushed) ReplaceAll(out.target, reserved, airtable_id);
  bool changed = false;
  VisitIds(body, [&](json& id) {
    auto it = pushed.find(id.get<std::string>());
    if (it == pushed.end()) return;
    id = it->second;
    changed = true;
  });
  if (changed) out.body = body.dump();
  return out;
}

}  // namespace

ProxiedChanges ChangesOfAnswer(const mapping::TablePlan& table, std::string_view answer_body) {
  ProxiedChanges changes;
  json answer = json::parse(answer_body, nullptr, false);
  if (!answer.is_object()) return changes;
  auto take = [&](const json& r) {
    if (!r.is_object() || !IsRecordId(r.value("id", json()))) return;
    if (r.value("deleted", false)) {
      changes.destroyed.push_back(r["id"]);
      return;
    }
    auto fields = r.find("fields");
    if (fields == r.end() || !fields->is_object()) return;
    airtable::Record record;
    record.id = r["id"];
    record.created_time = r.value("createdTime", "");
    // Cells by name or by id (returnFieldsByFieldId), as the client asked.
    for (const auto& [key, cell] : fields->items()) {
      if (const mapping::FieldPlan* f = FindField(table, key))
        record.AddField(f->field.id, cell.dump());
    }
    changes.upserts.push_back(std::move(record));
  };
  if (auto records = answer.find("records"); records != answer.end() && records->is_array()) {
    for (const json& r : *records) take(r);
  } else {
    take(answer);
  }
  return changes;
}

Result<http::Request> RouteHandover::Before(pg::Connection& conn, const http::Request& request,
                                            const mapping::TablePlan& table, bool read,
                                            InFlightWrite* in_flight) const {
  AIRPG_ASSIGN_OR_RETURN(bool caught_up, OutboxCaughtUp(conn, table.table_id, outbox_wait_));
  if (!caught_up) {
    if (!read) {
      return UnavailableError(
          "Postgres writes to this table are still on their way to Airtable; try again");
    }
    log::Warn("serve: {} proxied a read while its outbox still holds changes older than {} ms",
              table.table_id, outbox_wait_.count());
  }

  if (in_flight != nullptr && !read) {
    // After the outbox wait: a Postgres write recorded after this is later
    // than the request (its answer, applied then, must not undo it).
    AIRPG_ASSIGN_OR_RETURN(pg::Rows clock, conn.Exec("SELECT clock_timestamp()::text"));
    in_flight->sent_at = std::string(clock.Get(0, 0));
  }
  AIRPG_ASSIGN_OR_RETURN(http::Request out, WithAirtableIds(conn, request));
  if (in_flight != nullptr && !read) {
    // After the outbox wait too: marked earlier, the outbox would wait for
    // this write while it waits for the outbox.
    AIRPG_ASSIGN_OR_RETURN(in_flight->mark,
                           pg::WriteMark::Take(conn, pg::WriteSource::kServeProxy, table.table_id,
                                               WrittenRecords(out)));
  }
  return out;
}

void RouteHandover::After(pg::Connection& conn, const std::string& base_id,
                          const mapping::TablePlan& table, const std::string& answer_body,
                          InFlightWrite& in_flight) const {
  ProxiedChanges changes = ChangesOfAnswer(table, answer_body);
  changes.sent_at = in_flight.sent_at;
  if (sink_ && (!changes.upserts.empty() || !changes.destroyed.empty())) {
    if (Status applied = sink_(conn, base_id, table.table_id, changes); !applied.ok()) {
      log::Warn(
          "serve: a write proxied to Airtable for {} is not in Postgres yet (the sync applies "
          "it when Airtable reports it): {}",
          table.table_id, applied.ToString());
    }
  }
  if (Status released = in_flight.mark.Release(); !released.ok()) {
    log::Warn("serve: {}", released.ToString());
  }
}

}  // namespace airpg::api
