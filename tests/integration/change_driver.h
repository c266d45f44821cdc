// ChangeDriver: a person working in a generated base (emulator/generator.h)
// while airpg syncs it — a stream of random creates, updates, deletes and
// link changes through the emulator's /__emulator/ui/ endpoints (never
// faulted or rate limited; payloads say source "client"). Every create or
// update writes the next number of one increasing sequence into the record's
// Amount field, so a value going back in Postgres means an old version was
// applied after a newer one. Deterministic for a seed (the sequence of
// changes, not their timing). With schema changes on, it also adds text
// fields now and then — often a rename of an added field followed at once by
// another add, the back-to-back pair that once lost the second — and its
// updates then write those fields too. Records left to another writer
// (LeaveAlone) are never touched, so two writers can share a base without
// racing a delete against a link. A link field that prefers a single record
// gets at most one. Runs on its own thread; the accessors
// are for the test's thread once Join has returned.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace airpg::testing {

class ChangeDriver {
 public:
  // The first number written into Amount; the generator's amounts are below it.
  static constexpr int64_t kFirstValue = 100000;

  // `data` is the data file the emulator was started with.
  ChangeDriver(std::string emulator_url, const nlohmann::json& data, uint64_t seed);
  ~ChangeDriver();  // stops and joins
  ChangeDriver(const ChangeDriver&) = delete;
  ChangeDriver& operator=(const ChangeDriver&) = delete;

  // Before Start: about one change in `every` also changes the schema.
  void EnableSchemaChanges(int every) { schema_every_ = every; }
  // Before Start: the driver never touches these records (another writer
  // owns them): it does not update, delete or link to them.
  void LeaveAlone(const std::set<std::string>& record_ids);
  // Before Start: the driver updates and links these records but never
  // deletes them (a delete it rolls becomes an update).
  void NeverDelete(const std::set<std::string>& record_ids) { keep_ = record_ids; }

  // Starts making changes, one every [min_pause, max_pause] (a random pace,
  // not a wait for anything), until `max_changes` were made (0: until Stop).
  void Start(std::chrono::milliseconds min_pause, std::chrono::milliseconds max_pause,
             int64_t max_changes = 0);
  void Stop();  // asks it to stop after the change in progress and joins
  void Join();  // waits until it stopped (after max_changes, Stop or a failure)

  int64_t changes() const { return changes_.load(); }
  // After Join: what was done, and the first failure ("" when none).
  int64_t creates() const { return creates_; }
  int64_t updates() const { return updates_; }
  int64_t link_changes() const { return link_changes_; }
  int64_t deletes() const { return deletes_; }
  int64_t schema_changes() const { return schema_changes_; }
  const std::string& error() const { return error_; }
  // (table id, record id) of every record the driver deleted.
  const std::vector<std::pair<std::string, std::string>>& deleted() const { return deleted_; }
  // (table id, record id) of every record the driver created and did not delete.
  std::vector<std::pair<std::string, std::string>> CreatedAndLive() const;
  std::string Summary() const;

 private:
  struct Table {
    std::string id;
    std::string link_to_previous;  // field name, "" for the first table
    std::string link_to_next;      // field name, "" for the last table
    // The link to the previous table prefers a single record: the driver
    // links at most one, and never writes its inverse (link_to_next of the
    // previous table), whose every entry would add a second one.
    bool previous_single = false;
    bool next_single = false;
    std::vector<std::string> live;
    // Text fields the driver added: (field id, current name).
    std::vector<std::pair<std::string, std::string>> added;
  };

  void Run(std::chrono::milliseconds min_pause, std::chrono::milliseconds max_pause,
           int64_t max_changes);
  bool Change();                    // one random change; false (error_ set) when it failed
  bool ChangeSchema(Table& table);  // adds a field, or renames one and adds another
  bool Send(const std::string& method, const std::string& path, const nlohmann::json& body,
            nlohmann::json* reply);
  // The same for any path under /__emulator/ui/ (Send: under the base's).
  bool SendUi(const std::string& method, const std::string& path, const nlohmann::json& body,
              nlohmann::json* reply);
  nlohmann::json SomeRecords(const Table& table, int at_most);

  std::string url_;
  std::string base_id_;
  std::vector<Table> tables_;
  std::mt19937_64 rng_;
  int64_t next_value_ = kFirstValue;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> changes_{0};
  int64_t creates_ = 0, updates_ = 0, link_changes_ = 0, deletes_ = 0, schema_changes_ = 0;
  int schema_every_ = 0;  // 0: no schema changes
  int next_field_ = 1;
  std::string error_;
  std::vector<std::pair<std::string, std::string>> deleted_;
  std::set<std::string> ids_;      // every record id seen: Airtable never repeats one
  std::set<std::string> created_;  // made by the driver and not deleted
  std::set<std::string> keep_;     // never deleted (NeverDelete)
  std::thread thread_;
};

}  // namespace airpg::testing
