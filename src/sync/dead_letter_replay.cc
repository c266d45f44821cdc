#include "sync/dead_letter_replay.h"

#include "pg/quote.h"
#include "pg/transaction.h"
#include "sync/record_reader.h"

namespace airpg::sync {
namespace {

Result<ReplayResult> Replay(airtable::Client& client, pg::Connection& conn, RecordApplier& applier,
                            const LiveBase& base, const pg::Rows& letters, bool by_operator) {
  ReplayResult result;
  TouchedRecords records;
  std::vector<std::optional<std::string>> ids;
  for (int i = 0; i < letters.size(); ++i) {
    ids.push_back(std::string(letters.Get(i, 0)));
    records[std::string(letters.Get(i, 1))].insert(std::string(letters.Get(i, 2)));
  }
  result.letters = letters.size();
  if (records.empty()) return result;
  const airtable::Priority priority =
      by_operator ? airtable::Priority::kIncremental : airtable::Priority::kBackfill;
  AIRPG_ASSIGN_OR_RETURN(pg::Rows clock, conn.Exec("SELECT clock_timestamp()::text"));
  AIRPG_ASSIGN_OR_RETURN(ChangeBatch batch,
                         ReadRecords(client, base.base_id, records, priority, &result.requests));
  batch.source = "replay";
  batch.read_from = clock.Get(0, 0);  // ChangeBatch::read_from
  // The applier marked the letters it could now apply 'superseded'.
  auto close = [&](pg::Transaction& tx, const RoundStats&) -> Status {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows closed,
        tx.Exec("UPDATE airpg.dead_letters SET status = CASE WHEN $2 THEN 'replayed' ELSE status "
                "END, updated_at = now() WHERE dead_letter_id = ANY($1::bigint[]) "
                "AND status = 'superseded' RETURNING dead_letter_id",
                {pg::ArrayLiteral(ids), by_operator ? "true" : "false"}));
    result.closed = closed.size();
    return Status::Ok();
  };
  AIRPG_ASSIGN_OR_RETURN(
      RoundStats rounds,
      ApplyWithFollowUps(client, conn, applier, std::move(batch), base.base_id, priority, close));
  result.requests += rounds.requests;
  return result;
}

}  // namespace

Result<ReplayResult> ReplayDeadLetters(airtable::Client& client, pg::Connection& conn,
                                       RecordApplier& applier, const LiveBase& base,
                                       const std::vector<int64_t>& ids) {
  std::vector<std::optional<std::string>> texts;
  for (int64_t id : ids) texts.push_back(std::to_string(id));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows letters,
      conn.Exec("SELECT dead_letter_id, table_id, record_id FROM airpg.dead_letters "
                "WHERE dead_letter_id = ANY($1::bigint[]) AND base_id = $2 "
                "AND status IN ('retrying', 'dead')",
                {pg::ArrayLiteral(texts), base.base_id}));
  return Replay(client, conn, applier, base, letters, /*by_operator=*/true);
}

Result<ReplayResult> RetryDeadLetters(airtable::Client& client, pg::Connection& conn,
                                      RecordApplier& applier, const LiveBase& base) {
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows letters,
      conn.Exec("SELECT dead_letter_id, table_id, record_id FROM airpg.dead_letters "
                "WHERE base_id = $1 AND status = 'retrying' ORDER BY dead_letter_id LIMIT 1000",
                {base.base_id}));
  return Replay(client, conn, applier, base, letters, /*by_operator=*/false);
}

}  // namespace airpg::sync
