// Client: a minimal blocking HTTP client over libcurl for tests and tools
// that talk to loopback servers (the emulator, webhook receivers). The full
// Airtable REST client (pacing, retries, paging) is a later issue.
// Thread-compatible: one Client per thread; it keeps its connection alive.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "http/message.h"

namespace airpg::http {

class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and returns the response (any status). Headers are
  // "Name: value" pairs. A transport failure (refused, reset, timeout) is
  // kUnavailable.
  Result<Response> Send(std::string_view method, const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                        const std::string& body = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace airpg::http
