#include "api/sort_indexes.h"

#include <fmt/core.h>

#include <set>

#include "base/log.h"
#include "base/sql_identifier.h"
#include "mapping/row_cells.h"

namespace airpg::api {
namespace {

// FNV-1a: a name that is the same in every process and build.
uint32_t StableHash(std::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

std::optional<std::string> SortIndexKey(const mapping::FieldPlan& f) {
  // The same cases as record_reader's PlanList: typed columns sort as
  // themselves, text columns by lower(text) in byte order.
  if (!f.HasColumn() || f.column.cell_array || mapping::IsLinkField(f)) return std::nullopt;
  static const std::set<std::string, std::less<>> kTyped = {
      "numeric", "bigint", "integer",     "double precision",
      "boolean", "date",   "timestamptz", "interval"};
  std::string column = QuoteIdentifier(f.column_name);
  if (f.column.storage == mapping::Storage::kColumn && kTyped.count(f.column.sql_type) > 0) {
    return column;
  }
  // Only a cast Postgres calls immutable may be indexed: text to text.
  if (f.column.sql_type == "text") return "lower(" + column + "::text) COLLATE \"C\"";
  return std::nullopt;
}

std::string SortIndexName(const std::string& table_name, const std::string& key) {
  return fmt::format("{}_airpg_sort_{:08x}", table_name.substr(0, 40),
                     StableHash(table_name + "\n" + key));
}

SortIndexes::SortIndexes(std::string conninfo, std::chrono::milliseconds recheck)
    : conninfo_(std::move(conninfo)), recheck_(recheck), worker_([this] { Loop(); }) {}

SortIndexes::~SortIndexes() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  worker_.join();
}

void SortIndexes::Want(const std::string& schema, const mapping::TablePlan& table,
                       const mapping::FieldPlan& f) {
  if (conninfo_.empty()) return;
  std::optional<std::string> key = SortIndexKey(f);
  if (!key) return;
  std::string name = SortIndexName(table.table_name, *key);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, added] = known_.try_emplace(schema + "." + name, now);
  if (!added && now - it->second < recheck_) return;
  it->second = now;
  queue_.push_back({schema, table.table_name, *key, std::move(name)});
  cv_.notify_all();
}

void SortIndexes::Drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || (queue_.empty() && !busy_); });
}

void SortIndexes::Loop() {
  std::optional<pg::Connection> conn;
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      cv_.notify_all();
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (!conn || !conn->IsHealthy()) {
      conn.reset();
      Result<pg::Connection> opened = pg::Connection::Open(conninfo_);
      if (!opened.ok()) {
        log::Warn("sort index {}: {}", job.name, opened.status().ToString());
        continue;  // asked again after recheck
      }
      conn.emplace(std::move(opened).value());
    }
    Build(*conn, job);
  }
}

void SortIndexes::Build(pg::Connection& conn, const Job& job) {
  // One builder per index across processes; another holder is building it.
  Result<pg::Rows> locked = conn.Exec(
      "SELECT pg_try_advisory_lock(hashtext('airpg.sort_index'), hashtext($1 || '.' || $2))",
      {job.schema, job.name});
  if (!locked.ok() || locked->Get(0, 0) != "t") return;
  auto unlock = [&] {
    (void)conn.Run(
        "SELECT pg_advisory_unlock(hashtext('airpg.sort_index'), hashtext($1 || '.' || $2))",
        {job.schema, job.name});
  };
  Result<pg::Rows> found = conn.Exec(
      "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
      {job.schema, job.name});
  if (!found.ok()) {
    unlock();
    return;
  }
  if (!found->empty() && found->Get(0, 0) == "t") {
    unlock();
    return;
  }
  std::string index = QualifiedName(job.schema, job.name);
  Status made = Status::Ok();
  if (!found->empty()) {  // invalid: a build that failed or was killed
    made = conn.Run("DROP INDEX CONCURRENTLY IF EXISTS " + index);
  }
  if (made.ok()) {
    auto start = std::chrono::steady_clock::now();
    made = conn.Run(
        fmt::format("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({} NULLS FIRST, id)",
                    QuoteIdentifier(job.name), QualifiedName(job.schema, job.table_name), job.key));
    if (made.ok()) {
      log::Info("sort index {} on {}.{} ({}) built in {} ms", job.name, job.schema, job.table_name,
                job.key,
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count());
    }
  }
  if (!made.ok()) {
    log::Warn("sort index {} on {}.{}: {} (sorts by this column scan the table)", job.name,
              job.schema, job.table_name, made.ToString());
  }
  unlock();
}

}  // namespace airpg::api
