// Stopping: airpg's long waits take a std::stop_token and end at once when it
// is stopped (Clock::WaitUntil, Clock::SleepUntil, Pacer::Acquire), instead of
// polling a flag. A signal handler may not call std::stop_source::request_stop
// (it takes locks and runs callbacks), so SignalStop bridges the two: its
// Notify() is async-signal-safe (one write(2) to a pipe) and a thread of its
// own turns that into request_stop() at once.
// Thread-safe; Notify() is also safe in a signal handler.
#pragma once

#include <stop_token>
#include <thread>

namespace airpg {

class SignalStop {
 public:
  SignalStop();   // starts the thread; aborts when no pipe can be made
  ~SignalStop();  // ends it (without stopping the token)
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

  // Asks for a stop. Async-signal-safe; idempotent.
  void Notify() noexcept;

  std::stop_token token() const { return source_.get_token(); }
  bool stop_requested() const { return source_.stop_requested(); }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::stop_source source_;
  std::thread thread_;
};

}  // namespace airpg
