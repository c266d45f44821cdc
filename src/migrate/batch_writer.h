// BatchWriter: the write side of loading one table. The rows each record
// becomes are gathered and COPYed into the staging schema inside the table's
// transaction. A batch Postgres refuses (any SQLSTATE of the data, foreseen or
// not) is narrowed down by halving it inside savepoints until the refused
// records stand alone; each of those goes to the rejects ledger whole, with
// its JSON and Postgres's reason, and the rest of the batch loads. A record id
// listed twice in one listing keeps its last copy; the other copy goes to the
// ledger with both. Single-thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "airtable/record.h"
#include "base/result.h"
#include "mapping/relation_cells.h"
#include "mapping/schema_plan.h"
#include "migrate/load_context.h"
#include "pg/connection.h"

namespace airpg::migrate {

using Row = std::vector<pg::Param>;

// Everything one record becomes, written (or set aside) as a unit.
struct RecordRows {
  airtable::Record record;  // kept for the ledger, should Postgres refuse a row
  Row main;                 // mapping::LoadColumns order
  Row checksum;             // table id, record id, checksum
  std::vector<Row> links, rejects, attachments;
  std::vector<mapping::Collaborator> users;
};

// What the writes so far did to the table.
struct BatchCounts {
  int64_t imported = 0;   // rows in the staging table
  int64_t rejected = 0;   // rows written to the ledger
  int64_t set_aside = 0;  // whole records in the ledger instead of the table
};

class BatchWriter {
 public:
  // Borrows both; they must outlive the writer.
  BatchWriter(LoadContext& ctx, const mapping::TablePlan& table) : ctx_(ctx), table_(table) {}

  // Takes a converted record. An earlier copy of the same id (in this batch
  // or already written) is dropped for it and ledgered with both copies.
  void Add(RecordRows rows);
  // A record that is not loaded at all (malformed), straight to the ledger.
  void SetAside(std::string_view record_id, std::string raw_json, std::string reason);

  size_t pending_records() const { return records_.size(); }
  bool empty() const { return records_.empty() && ledger_.empty() && replaced_.empty(); }

  // Writes what was added and clears it (counts only, in a dry run).
  // REQUIRES: inside the table's transaction on ctx.conn.
  Status Write();

  const BatchCounts& counts() const { return counts_; }

 private:
  struct Refused {
    size_t index;
    std::string reason;
  };
  struct Replaced {
    std::string record_id;
    std::string kept_json;
  };

  Row LedgerRow(std::string_view record_id, std::string raw, std::string reason) const;
  Status DeleteReplaced();
  Status WriteRange(size_t begin, size_t end, std::vector<Refused>& refused, Status& first);
  Status CopyRange(size_t begin, size_t end);

  LoadContext& ctx_;
  const mapping::TablePlan& table_;
  std::vector<RecordRows> records_;
  std::unordered_map<std::string, size_t> index_;  // record id → position in records_
  std::unordered_set<std::string> written_;        // ids COPYed by earlier writes
  std::vector<Replaced> replaced_;                 // written ids listed again since
  std::vector<Row> ledger_;
  BatchCounts counts_;
};

}  // namespace airpg::migrate
