// The two httplib::Stream implementations the Server hands to cpp-httplib's
// request parser: ConnectionStream over a client socket (its pending bytes
// first), where every read and write waits at most `io_timeout` and never
// past the request's deadline; MemoryStream over bytes in memory, for the
// fuzz target and tests of the request path. Internal to src/http/ (it
// includes httplib.h). Single-thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <string_view>

#include "http/connection.h"

namespace airpg::http {

class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& conn, std::chrono::milliseconds io_timeout,
                   std::chrono::steady_clock::time_point deadline)
      : conn_(conn), io_timeout_(io_timeout), deadline_(deadline) {}

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return conn_.fd; }

  // Whether a read or write failed (timeout, reset): the connection is done.
  bool failed() const { return read_failed_ || write_failed_; }
  // Whether a read gave up at the io timeout or the deadline.
  const bool& timed_out() const { return timed_out_; }

 private:
  // Waits up to the io timeout (and never past the deadline) for `events`.
  bool Wait(short events) const;

  Connection& conn_;
  const std::chrono::milliseconds io_timeout_;
  const std::chrono::steady_clock::time_point deadline_;
  // A failed read still lets the error answer be written.
  bool read_failed_ = false;
  bool write_failed_ = false;
  bool timed_out_ = false;
};

class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input) {}

  bool is_readable() const override { return !input_.empty(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return 0; }

  bool exhausted() const { return input_.empty(); }
  const std::string& output() const { return output_; }

 private:
  std::string_view input_;
  std::string output_;
};

}  // namespace airpg::http
