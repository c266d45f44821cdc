#include "change_driver.h"

#include <fmt/core.h>

#include <algorithm>

#include "http/client.h"

namespace airpg::testing {

using nlohmann::json;

namespace {

// The driver's own HTTP client (one per thread).
thread_local http::Client* driver_http = nullptr;

}  // namespace

ChangeDriver::ChangeDriver(std::string emulator_url, const json& data, uint64_t seed)
    : url_(std::move(emulator_url)), rng_(seed) {
  const json& base = data["bases"][0];
  base_id_ = base["id"];
  const json& tables = base["tables"];
  for (size_t t = 0; t < tables.size(); ++t) {
    Table table;
    table.id = tables[t]["id"];
    // The generator links table k to table k-1 with a field named after it.
    if (t > 0) table.link_to_previous = fmt::format("Table {}", t);
    if (t + 1 < tables.size()) table.link_to_next = fmt::format("Table {}", t + 2);
    for (const json& f : tables[t]["fields"]) {
      if (f["name"] == table.link_to_previous) {
        table.previous_single = f["options"].value("prefersSingleRecordLink", false);
      }
    }
    if (t > 0) tables_.back().next_single = table.previous_single;
    for (const json& r : tables[t]["records"]) {
      table.live.push_back(r["id"]);
      ids_.insert(r["id"].get<std::string>());
    }
    tables_.push_back(std::move(table));
  }
}

ChangeDriver::~ChangeDriver() { Stop(); }

void ChangeDriver::LeaveAlone(const std::set<std::string>& record_ids) {
  for (Table& table : tables_) {
    std::erase_if(table.live, [&](const std::string& id) { return record_ids.contains(id); });
  }
}

std::vector<std::pair<std::string, std::string>> ChangeDriver::CreatedAndLive() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Table& table : tables_) {
    for (const std::string& id : table.live) {
      if (created_.contains(id)) out.emplace_back(table.id, id);
    }
  }
  return out;
}

void ChangeDriver::Start(std::chrono::milliseconds min_pause, std::chrono::milliseconds max_pause,
                         int64_t max_changes) {
  stop_ = false;
  thread_ = std::thread([=, this] { Run(min_pause, max_pause, max_changes); });
}

void ChangeDriver::Stop() {
  stop_ = true;
  Join();
}

void ChangeDriver::Join() {
  if (thread_.joinable()) thread_.join();
}

std::string ChangeDriver::Summary() const {
  return fmt::format(
      "{} changes: {} creates, {} updates, {} link changes, {} deletes, {} schema changes",
      changes_.load(), creates_, updates_, link_changes_, deletes_, schema_changes_);
}

void ChangeDriver::Run(std::chrono::milliseconds min_pause, std::chrono::milliseconds max_pause,
                       int64_t max_changes) {
  http::Client http;
  driver_http = &http;
  std::uniform_int_distribution<int64_t> pause(min_pause.count(), max_pause.count());
  while (!stop_.load() && (max_changes == 0 || changes_.load() < max_changes)) {
    if (!Change()) break;
    ++changes_;
    // The pace of a busy person, not a wait for a condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng_)));
  }
  driver_http = nullptr;
}

bool ChangeDriver::Send(const std::string& method, const std::string& path, const json& body,
                        json* reply) {
  return SendUi(method, base_id_ + "/" + path, body, reply);
}

bool ChangeDriver::SendUi(const std::string& method, const std::string& path, const json& body,
                          json* reply) {
  auto response =
      driver_http->Send(method, url_ + "/__emulator/ui/" + path,
                        {{"Content-Type", "application/json"}}, body.is_null() ? "" : body.dump());
  if (!response.ok()) {
    error_ = fmt::format("{} {}: {}", method, path, response.status().ToString());
    return false;
  }
  if (response->status != 200) {
    error_ = fmt::format("{} {}: {} {}", method, path, response->status, response->body);
    return false;
  }
  if (reply != nullptr) *reply = json::parse(response->body, nullptr, false);
  return true;
}

// Up to `at_most` distinct live records of `table` (possibly none).
json ChangeDriver::SomeRecords(const Table& table, int at_most) {
  std::vector<std::string> pool = table.live;
  std::shuffle(pool.begin(), pool.end(), rng_);
  int n = std::uniform_int_distribution<int>(0, at_most)(rng_);
  json out = json::array();
  for (int i = 0; i < n && i < static_cast<int>(pool.size()); ++i) out.push_back(pool[i]);
  return out;
}

bool ChangeDriver::ChangeSchema(Table& table) {
  auto add = [&]() {
    std::string name = fmt::format("Note {}", next_field_++);
    json reply;
    if (!SendUi("POST", "meta/bases/" + base_id_ + "/tables/" + table.id + "/fields",
                {{"name", name}, {"type", "singleLineText"}}, &reply)) {
      return false;
    }
    if (!reply.is_object() || !reply.contains("id")) {
      error_ = "adding a field answered " + reply.dump();
      return false;
    }
    table.added.emplace_back(reply["id"], name);
    ++schema_changes_;
    return true;
  };
  if (table.added.empty() || rng_() % 2 == 0) return add();
  // A rename, then at once an add: the second arrives while the sync is
  // still bringing its schema up to date for the first.
  auto& [field_id, name] = table.added[rng_() % table.added.size()];
  std::string renamed =
      fmt::format("{} (renamed {})", name.substr(0, name.find(" (")), next_field_++);
  if (!SendUi("PATCH", "meta/bases/" + base_id_ + "/tables/" + table.id + "/fields/" + field_id,
              {{"name", renamed}}, nullptr)) {
    return false;
  }
  name = renamed;
  ++schema_changes_;
  return add();
}

bool ChangeDriver::Change() {
  Table& table = tables_[rng_() % tables_.size()];
  if (schema_every_ > 0 && rng_() % schema_every_ == 0) return ChangeSchema(table);
  int roll = static_cast<int>(rng_() % 100);
  auto pick = [&]() -> size_t { return rng_() % table.live.size(); };
  // Creates and deletes balance out around the generated size.
  if (roll < 20 || table.live.size() < 5) {
    json fields = {{"Name", fmt::format("created {}", next_value_)}, {"Amount", next_value_}};
    if (!table.link_to_previous.empty()) {
      fields[table.link_to_previous] = SomeRecords(tables_[&table - tables_.data() - 1], 1);
    }
    json reply;
    if (!Send("POST", table.id, {{"fields", fields}}, &reply)) return false;
    if (!reply.is_object() || !reply.contains("id")) {
      error_ = "create answered " + reply.dump();
      return false;
    }
    if (!ids_.insert(reply["id"].get<std::string>()).second) {
      error_ = "the emulator gave a new record the id of an existing one: " + reply.dump();
      return false;
    }
    table.live.push_back(reply["id"]);
    created_.insert(reply["id"].get<std::string>());
    ++next_value_;
    ++creates_;
    return true;
  }
  size_t delete_at = 0;
  if (roll < 35 && !keep_.contains(table.live[delete_at = pick()])) {
    size_t i = delete_at;
    std::string id = table.live[i];
    if (!Send("DELETE", table.id + "/" + id, nullptr, nullptr)) return false;
    table.live[i] = table.live.back();
    table.live.pop_back();
    created_.erase(id);
    deleted_.emplace_back(table.id, id);
    ++deletes_;
    return true;
  }
  std::string id = table.live[pick()];
  json fields = {{"Amount", next_value_}};
  if (!table.added.empty()) {
    // Renames leave the names this driver knows current: it made them.
    fields[table.added[rng_() % table.added.size()].second] = fmt::format("note {}", next_value_);
  }
  bool link = roll < 60;
  if (link) {
    size_t t = static_cast<size_t>(&table - tables_.data());
    bool previous = !table.link_to_previous.empty() &&
                    (table.link_to_next.empty() || table.next_single || rng_() % 2 == 0);
    if (previous) {
      fields[table.link_to_previous] = SomeRecords(tables_[t - 1], table.previous_single ? 1 : 2);
    } else if (!table.next_single) {
      fields[table.link_to_next] = SomeRecords(tables_[t + 1], 2);
    }
  }
  if (!Send("PATCH", table.id + "/" + id, {{"fields", fields}}, nullptr)) return false;
  ++next_value_;
  ++(link ? link_changes_ : updates_);
  return true;
}

}  // namespace airpg::testing
