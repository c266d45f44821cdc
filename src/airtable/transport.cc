#include "airtable/transport.h"

namespace airpg::airtable {

Result<http::Response> CurlTransport::Send(const HttpCall& call) {
  std::unique_ptr<http::Client> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!client) client = std::make_unique<http::Client>();
  Result<http::Response> response = client->Send(call.method, call.url, call.headers, call.body);
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(client));
  return response;
}

}  // namespace airpg::airtable
