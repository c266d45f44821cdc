// ChangeBatch: what one sync step applies in one transaction — per table,
// the records to upsert (whole records as Airtable lists them, cells keyed by
// field id) and the ids Airtable destroyed. Whatever found the changes (a
// webhook payload, a poll, a sweep, a replay), the batch looks the same, so
// one applier serves them all. Values; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "airtable/record.h"

namespace airpg::sync {

struct TableChanges {
  std::string table_id;
  std::vector<airtable::Record> upserts;
  std::vector<std::string> destroyed;
  // Records the read could not take (issue 13): dead-lettered, never applied.
  std::vector<airtable::MalformedRecord> malformed;
  // When a webhook payload says a record was created or changed (its
  // `timestamp`, the latest one), by record id: the record's
  // airtable_modified_time when its table has no lastModifiedTime field
  // to say it (docs/type-mapping.md). Empty for other sources.
  std::map<std::string, std::string, std::less<>> changed_at;
  // When a webhook payload says a record was destroyed (its `timestamp`,
  // Airtable's time of the delete), by record id: the delete's side of a
  // delete-vs-update conflict under `latest` (deleted_records.h). Empty for
  // other sources (a sweep sees a record gone, not when it went).
  std::map<std::string, std::string, std::less<>> destroyed_at;
};

struct ChangeBatch {
  std::string source;  // webhook, poll, sweep, replay: recorded with dead letters
  // Postgres's clock (timestamptz text) when reading the records began; ""
  // when unknown. A field whose last synced value was recorded after it (an
  // outbound write of airpg's landed meanwhile) and differs from the read
  // cell is a stale read, not an Airtable edit (inbound_conflicts.h).
  std::string read_from;
  // A proxied write's answer (sync/proxied_writes.h): Postgres's clock when
  // the request left; "" otherwise. A field a Postgres change sent after it
  // (an outbox row done since) keeps Postgres's value: that write is later.
  std::string sent_at;
  std::vector<TableChanges> tables;

  TableChanges& Table(const std::string& table_id) {
    for (auto& t : tables) {
      if (t.table_id == table_id) return t;
    }
    tables.push_back({table_id, {}, {}, {}});
    return tables.back();
  }
  bool empty() const {
    for (const auto& t : tables) {
      if (!t.upserts.empty() || !t.destroyed.empty() || !t.malformed.empty()) return false;
    }
    return true;
  }
};

}  // namespace airpg::sync
