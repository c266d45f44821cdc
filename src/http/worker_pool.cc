#include "http/worker_pool.h"

namespace airpg::http {

WorkerPool::WorkerPool(int threads, size_t max_queued, Serve serve)
    : max_queued_(max_queued), serve_(std::move(serve)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::TryPush(std::unique_ptr<Connection>& conn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(conn));
  }
  ready_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::Work() {
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      conn = std::move(queue_.front());
      queue_.pop_front();
    }
    serve_(std::move(conn));
  }
}

}  // namespace airpg::http
