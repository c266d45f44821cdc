#include "api/connection_pool.h"

namespace airpg::api {

ConnectionPool::ConnectionPool(std::string conninfo, int size)
    : conninfo_(std::move(conninfo)), size_(size < 1 ? 1 : size) {}

Result<ConnectionPool::Lease> ConnectionPool::Borrow() {
  {
    std::unique_lock lock(mu_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      std::unique_ptr<pg::Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // a slot for the connection opened below, outside the lock
  }
  Result<pg::Connection> opened = pg::Connection::Open(conninfo_);
  if (!opened.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    returned_.notify_one();
    return opened.status();
  }
  return Lease(this, std::make_unique<pg::Connection>(std::move(opened).value()));
}

void ConnectionPool::Return(std::unique_ptr<pg::Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->IsHealthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // dropped; the next borrow opens a fresh one
  }
  returned_.notify_one();
}

}  // namespace airpg::api
