#include "sync/safety_poll.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "pg/transaction.h"
#include "sync/record_reader.h"
#include "sync/sync_events.h"

namespace airpg::sync {
namespace {

// A lastModifiedTime field sees every change when it watches no particular fields.
bool WatchesEverything(const mapping::FieldPlan& f) {
  if (f.field.type != airtable::FieldType::kLastModifiedTime) return false;
  auto options = nlohmann::json::parse(f.field.options_json, nullptr, false);
  if (!options.is_object()) return false;
  auto it = options.find("referencedFieldIds");
  return it == options.end() || (it->is_array() && it->empty());
}

std::string FormulaName(const std::string& name) {
  // {…} names a field; a closing brace inside a name is escaped with a backslash.
  std::string out;
  for (char c : name) {
    if (c == '}' || c == '\\') out += '\\';
    out += c;
  }
  return "{" + out + "}";
}

}  // namespace

std::string ChangedSinceFormula(const mapping::TablePlan& table, const std::string& since) {
  std::string subject = "LAST_MODIFIED_TIME()";
  for (const auto& f : table.fields) {
    if (WatchesEverything(f)) {
      subject = FormulaName(f.field.name);
      break;
    }
  }
  return fmt::format("IS_AFTER({}, DATETIME_PARSE('{}'))", subject, since);
}

Result<PollResult> PollTable(airtable::Client& client, pg::Connection& conn, RecordApplier& applier,
                             const LiveBase& base, const std::string& table_id,
                             const PollOptions& options) {
  const mapping::TablePlan* table = base.plan.FindTable(table_id);
  if (table == nullptr) return NotFoundError(fmt::format("table {} is not synced", table_id));
  // Where the poll stands: its watermark, else the start of the live
  // migration; `now` is taken before reading, so nothing slips between.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows state,
      conn.Exec("SELECT to_char((coalesce((SELECT poll_watermark FROM airpg.sync_tables WHERE "
                "table_id = $2), (SELECT r.started_at FROM airpg.bases b JOIN airpg.runs r ON "
                "r.run_id = b.active_run_id WHERE b.base_id = $1), now()) - make_interval(secs => "
                "$3::int)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), now()::text, "
                "coalesce((SELECT poll_watermark = '-infinity' FROM airpg.sync_tables WHERE "
                "table_id = $2), false)",
                {base.base_id, table_id, std::to_string(options.overlap.count())}));
  const std::string since(state.Get(0, 0));
  const std::string now(state.Get(0, 1));
  const bool full = state.Get(0, 2) == "t";

  PollResult result;
  if (!full) result.formula = ChangedSinceFormula(*table, since);
  airtable::ListOptions list;
  list.return_fields_by_field_id = true;
  list.filter_by_formula = result.formula;
  ChangeBatch batch;
  batch.source = "poll";
  batch.read_from = now;
  airtable::RecordPager pager = client.ListRecords(base.base_id, table_id, list, options.priority);
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(auto page, pager.Next());
    if (!page) break;  // the pager knew it was done: no request
    ++result.requests;
    result.read += static_cast<int64_t>(page->records.size());
    auto& upserts = batch.Table(table_id).upserts;
    for (auto& r : page->records) upserts.push_back(std::move(r));
    for (auto& m : page->malformed) batch.Table(table_id).malformed.push_back(std::move(m));
    if (options.on_progress) {
      options.on_progress({table_id, table->table_name, result.read, result.requests, false});
    }
  }
  const int64_t pages = result.requests;  // before the apply adds its own requests

  // The watermark commits with the rows it covers.
  auto finish = [&](pg::Transaction& tx) -> Status {
    AIRPG_RETURN_IF_ERROR(
        tx.Run("INSERT INTO airpg.sync_tables (table_id, base_id, poll_watermark, last_poll_at) "
               "VALUES ($1, $2, $3::timestamptz, now()) ON CONFLICT (table_id) DO UPDATE SET "
               "poll_watermark = EXCLUDED.poll_watermark, last_poll_at = now(), last_error = NULL",
               {table_id, base.base_id, now}));
    if (result.applied.changed == 0) return Status::Ok();
    return RecordEvent(
        tx.connection(),
        {base.base_id, table_id, "poll", result.applied.changed, result.requests, std::nullopt,
         fmt::format(R"({{"read":{},"since":"{}"}})", result.read, full ? "" : since)});
  };
  AIRPG_RETURN_IF_ERROR(ApplyAndCount(client, conn, applier, std::move(batch), base.base_id,
                                      options.priority, result.applied, result.requests, finish));
  if (options.on_progress) {
    options.on_progress({table_id, table->table_name, result.read, pages, true});
  }
  return result;
}

}  // namespace airpg::sync
