// ConnectionPool: a bounded set of Postgres connections the API's request
// threads borrow one at a time (a Lease returns its connection when it ends;
// a connection found broken is dropped and reopened on the next borrow).
// Many `airpg serve` processes may share one Postgres: each holds at most
// `size` connections. Thread-safe (one mutex guards the idle list and count).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::api {

class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, int size);

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pg::Connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->Return(std::move(conn_));
    }
    pg::Connection& operator*() { return *conn_; }
    pg::Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pg::Connection> conn_;
  };

  // Waits for an idle connection (or opens one while under `size`).
  // kUnavailable when Postgres cannot be reached.
  Result<Lease> Borrow();

 private:
  void Return(std::unique_ptr<pg::Connection> conn);

  const std::string conninfo_;
  const int size_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                       // guarded by mu_: idle + borrowed
};

}  // namespace airpg::api
