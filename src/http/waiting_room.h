// WaitingRoom: where the Server's connections wait, on one epoll thread,
// until they hold a whole request head; only then does a worker take them.
// A client that sends its head one byte a second (slow loris), or opens a
// connection and sends nothing, costs a slot here, never a worker, and is
// dropped at its deadline: 408 when a head was begun and not finished within
// header_timeout, silently when a kept-alive connection stays idle past
// idle_timeout. A head larger than max_head_bytes gets 431. When the
// workers' queue is full the room answers 503 itself. Past max_connections
// the connection that has waited longest makes room for the newcomer.
// Thread-safe: Add may be called from any thread; the rest runs on the
// room's own thread. Start/Stop from the owning thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "http/connection.h"

namespace airpg::http {

class WaitingRoom {
 public:
  struct Limits {
    size_t max_connections = 1024;
    size_t max_head_bytes = 64 * 1024;
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds idle_timeout{1000};
  };
  // Takes a connection whose head is complete (moving it out of `conn`), or
  // returns false, leaving it, when no worker can queue it.
  using Ready = std::function<bool(std::unique_ptr<Connection>& conn)>;

  WaitingRoom(Limits limits, Ready ready);
  ~WaitingRoom();  // Stop()
  WaitingRoom(const WaitingRoom&) = delete;
  WaitingRoom& operator=(const WaitingRoom&) = delete;

  Status Start();
  // Hands over a connection (new, or kept alive after a request). After Stop
  // it is closed at once.
  void Add(std::unique_ptr<Connection> conn);
  // Closes every waiting connection and joins the thread. Idempotent.
  void Stop();

  // Counts of what the room refused (see Server::Stats).
  std::atomic<uint64_t> refused_busy{0}, head_timeouts{0}, heads_too_large{0};

 private:
  void Run();
  void Admit(std::unique_ptr<Connection> conn);
  void OnReadable(int fd);
  void Drop(int fd, std::string_view response);
  void Expire(std::chrono::steady_clock::time_point now);

  const Limits limits_;
  const Ready ready_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> incoming_;  // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_

  // Room thread only.
  std::unordered_map<int, std::unique_ptr<Connection>> waiting_;
};

}  // namespace airpg::http
