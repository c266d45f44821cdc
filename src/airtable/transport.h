// Transport: how the Airtable client sends one HTTP request. The real one
// (CurlTransport) keeps a pool of reusable libcurl connections; tests may
// wrap it to inject faults. Implementations must be thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "http/client.h"
#include "http/message.h"

namespace airpg::airtable {

struct HttpCall {
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Any HTTP status is a response; kUnavailable only for transport failures.
  virtual Result<http::Response> Send(const HttpCall& call) = 0;
};

// Reuses connections: each call borrows an idle http::Client (one live
// connection each) or makes a new one, and returns it afterwards.
class CurlTransport final : public Transport {
 public:
  Result<http::Response> Send(const HttpCall& call) override;

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<http::Client>> idle_;  // guarded by mu_
};

}  // namespace airpg::airtable
