// RawPagesServer: a stand-in for Airtable that serves canned bodies exactly
// as given — a Meta API schema per base and raw record pages keyed by table
// and offset — for the tests of malformed input the emulator cannot serve
// (it normalises what it loads). Built on src/http's server wrapper.
// Thread-safe: pages may change while serving (mu_ guards them).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "base/result.h"
#include "http/server.h"

namespace airpg::testing {

class RawPagesServer {
 public:
  // A base the server lists (GET /v0/meta/bases) with its schema body
  // (GET /v0/meta/bases/<id>/tables). REQUIRES: before Start.
  void AddBase(const std::string& base_id, const std::string& name, std::string schema_json);
  // The body of a listing page of `table_id` (id or name as requested): ""
  // for the first page, else the offset the previous page gave.
  void AddPage(const std::string& base_id, const std::string& table_id, const std::string& offset,
               std::string body);

  Status Start();
  std::string url() const;
  // How many times a page was asked for.
  int requests(const std::string& base_id, const std::string& table_id,
               const std::string& offset) const;

 private:
  http::Response Handle(const http::Request& request);

  using PageKey = std::tuple<std::string, std::string, std::string>;
  std::map<std::string, std::pair<std::string, std::string>> bases_;  // id → name, schema
  mutable std::mutex mu_;
  std::map<PageKey, std::string> pages_;  // guarded by mu_
  std::map<PageKey, int> counts_;         // guarded by mu_
  http::Server server_;
};

}  // namespace airpg::testing
