// ApiService: the Airtable-compatible REST API of `airpg serve`, answered
// from Postgres (postgres mode) for the bases it serves:
//   GET  /v0/{base}/{table}                 list records (query parameters)
//   POST /v0/{base}/{table}/listRecords     list records (JSON body)
//   GET  /v0/{base}/{table}/{record}        one record
//   GET  /v0/meta/bases                     the served bases
//   GET  /v0/meta/bases/{base}/tables       their schema, as the catalog has it
// Writes answer 501 NOT_IMPLEMENTED in Airtable's error shape until they
// go through the two-way sync's outbox. Paths, bodies and errors are
// Airtable's (src/airtable/wire). A request without a bearer token is 401.
// Handle is thread-safe: it runs on the server's pool threads, each
// borrowing a pooled connection; the base cache is guarded by a mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/api_base.h"
#include "api/connection_pool.h"
#include "http/message.h"

namespace airpg::api {

struct ApiServiceOptions {
  std::vector<std::string> base_ids;  // the bases served
  std::string conninfo;
  int pool_size = 8;
  // How long a base's plan is reused before the catalog is read again
  // (schema changes applied by the sync show within this time).
  std::chrono::milliseconds plan_ttl{1000};
  std::function<int64_t()> now_millis;  // NOW() in formulas; null: the system clock
};

class ApiService {
 public:
  explicit ApiService(ApiServiceOptions options);

  // Whether `request` is for this API (a /v0/ path).
  static bool Serves(const http::Request& request);
  http::Response Handle(const http::Request& request);

 private:
  struct Cached {
    std::shared_ptr<const ApiBase> base;  // shared with requests in flight
    std::chrono::steady_clock::time_point loaded;
  };
  // The base's plan, reloaded after plan_ttl; nullptr with `*error` set.
  std::shared_ptr<const ApiBase> Base(pg::Connection& conn, const std::string& base_id,
                                      http::Response* error);
  http::Response Records(pg::Connection& conn, const http::Request& request,
                         const std::vector<std::string>& path, const std::string& query);
  http::Response MetaTables(pg::Connection& conn, const std::string& base_id);
  http::Response MetaBases(pg::Connection& conn);

  const ApiServiceOptions options_;
  ConnectionPool pool_;
  std::mutex mu_;
  std::map<std::string, Cached> bases_;  // guarded by mu_
};

}  // namespace airpg::api
