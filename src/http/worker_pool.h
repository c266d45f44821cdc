// WorkerPool: a fixed number of threads serving connections that hold a
// whole request head, fed through a queue of at most `max_queued`
// connections. A full queue refuses (TryPush returns false) instead of
// growing, so a burst costs a quick 503, not memory or an unbounded wait.
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/connection.h"

namespace airpg::http {

class WorkerPool {
 public:
  using Serve = std::function<void(std::unique_ptr<Connection>)>;

  WorkerPool(int threads, size_t max_queued, Serve serve);
  ~WorkerPool();  // Stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `conn` (moving it out) unless the queue is full or stopped.
  bool TryPush(std::unique_ptr<Connection>& conn);

  // Workers waiting for work, and all of them.
  int idle() const { return idle_; }
  int size() const { return static_cast<int>(threads_.size()); }

  // Serves what is queued, then joins the threads. Idempotent.
  void Stop();

 private:
  void Work();

  const size_t max_queued_;
  const Serve serve_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Connection>> queue_;  // guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::atomic<int> idle_{0};
  std::vector<std::thread> threads_;
};

}  // namespace airpg::http
