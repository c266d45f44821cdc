#include "api/catalog_watch.h"

#include <optional>

#include "base/log.h"
#include "pg/connection.h"
#include "pg/notifications.h"

namespace airpg::api {

CatalogWatch::CatalogWatch(std::string conninfo, std::chrono::milliseconds poll)
    : conninfo_(std::move(conninfo)), poll_(poll) {
  if (!conninfo_.empty()) thread_ = std::thread([this] { Loop(); });
}

CatalogWatch::~CatalogWatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t CatalogWatch::generation() {
  if (conninfo_.empty()) return ++generation_;
  return generation_.load();
}

void CatalogWatch::Loop() {
  std::optional<pg::Connection> conn;
  bool warned = false;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (!conn) {
      Result<pg::Connection> opened = pg::Connection::Open(conninfo_);
      Status listening = opened.ok() ? pg::Listen(*opened, "airpg_catalog") : opened.status();
      if (listening.ok()) {
        conn.emplace(std::move(opened).value());
        warned = false;
        // Whatever changed before the LISTEN was not notified.
        ++generation_;
      } else {
        if (!warned) {
          log::Warn("catalog watch: {}; serve rereads its catalog often", listening.ToString());
        }
        warned = true;
        ++generation_;
        std::unique_lock lock(mu_);
        stop_cv_.wait_for(lock, poll_, [&] { return stopping_; });
        continue;
      }
    }
    Result<int> notified = pg::WaitForNotification(*conn, poll_);
    if (!notified.ok()) {
      conn.reset();  // reopened (and the generation moved) on the next round
      ++generation_;
      continue;
    }
    if (*notified > 0) ++generation_;
  }
}

}  // namespace airpg::api
