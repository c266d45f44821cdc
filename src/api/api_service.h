// ApiService: the Airtable-compatible REST API of `airpg serve`, answered
// from Postgres (postgres mode) for the bases it serves:
//   GET  /v0/{base}/{table}                 list records (query parameters)
//   POST /v0/{base}/{table}/listRecords     list records (JSON body)
//   GET  /v0/{base}/{table}/{record}        one record
//   GET  /v0/meta/bases                     the served bases
//   GET  /v0/meta/bases/{base}/tables       their schema, as the catalog has it
// Each table follows its route (routes.h): airtable proxies the request to
// Airtable through the shared pacer at the highest priority (before airpg's
// own background work); shadow does the same and answers the request from
// Postgres too, in the background, recording differences (shadow_diffs.h);
// postgres answers reads from Postgres and writes records to Postgres in one
// transaction each (record_writer.h), which the two-way sync's outbox carries
// to Airtable. Paths, bodies and errors
// are Airtable's (src/airtable/wire). A request without a bearer token is 401. Handle is
// thread-safe: it runs on the server's pool threads, each borrowing a pooled connection; the base
// cache is guarded by a mutex.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "airtable/client.h"
#include "api/api_base.h"
#include "api/catalog_watch.h"
#include "api/connection_pool.h"
#include "api/meta_writer.h"
#include "api/record_reader.h"
#include "api/route_handover.h"
#include "api/routes.h"
#include "api/shadow_diffs.h"
#include "api/sort_indexes.h"
#include "api/tokens.h"
#include "http/message.h"

namespace airpg::api {

struct ApiServiceOptions {
  std::vector<std::string> base_ids;  // the bases served
  std::string conninfo;
  int pool_size = 8;
  // The base plans, routes and tokens are cached until the catalog changes
  // (catalog_watch.h: seen within milliseconds by every serve process), and
  // at most this long each (a catalog written with triggers off).
  std::chrono::milliseconds plan_ttl{60000};
  std::function<int64_t()> now_millis;            // NOW() in formulas; null: the system clock
  RouteMode default_mode = RouteMode::kAirtable;  // serve.default_mode
  std::chrono::milliseconds route_refresh{60000};
  // A request proxied to Airtable first waits, at most this long, for the
  // table's Postgres writes still in the outbox (route_handover.h).
  std::chrono::milliseconds outbox_wait{10000};
  // Applies a write Airtable accepted through the proxy to Postgres at once
  // (serve wires sync/proxied_writes.h); null: the sync applies it later.
  ProxiedWriteSink on_proxied_write;
  // Airtable, for the airtable and shadow routes; borrowed, must outlive the
  // service. Null: those routes answer 503.
  airtable::Client* upstream = nullptr;
  // Applies a Meta API write Airtable accepted to Postgres (meta_writer.h);
  // null: such writes are proxied only, and the sync mirrors them later.
  SchemaMirror mirror_schema;
  // Sees every list statement run from Postgres (benchmarks).
  QueryObserver on_query;
  // A shadow read that finds differences is compared again once the table's
  // sync has polled past the time Airtable answered, or after this long at
  // most; only differences found both times are recorded (the sync's lag is
  // not a difference). Zero: recorded at the first compare.
  std::chrono::milliseconds shadow_recheck_wait{5000};
  // False: any bearer token is accepted (in-process tests only).
  bool require_tokens = true;
  std::chrono::milliseconds token_refresh{60000};
  // Index the columns lists sort by, on demand (sort_indexes.h); how long
  // before a sort asks again whether its index is still there.
  bool index_sorts = true;
  std::chrono::milliseconds sort_index_recheck{60000};
  // Asked once a request is authenticated and its scopes checked (as the
  // emulator injects its faults after the token check): an answer it gives
  // is the request's (serve --inject-faults, fault_injection.h). Null: none.
  std::function<std::optional<http::Response>(const http::Request&)> after_auth;
};

class ApiService {
 public:
  explicit ApiService(ApiServiceOptions options);
  ~ApiService();  // finishes the shadow comparisons queued

  // Whether `request` is for this API (a /v0/ path).
  static bool Serves(const http::Request& request);
  http::Response Handle(const http::Request& request);

  struct Stats {
    uint64_t proxied = 0;           // requests answered by Airtable
    uint64_t shadow_compared = 0;   // shadow reads compared
    uint64_t shadow_diffs = 0;      // differences recorded
    uint64_t shadow_dropped = 0;    // comparisons skipped: the queue was full
    uint64_t shadow_rechecked = 0;  // reads compared a second time (the first found differences)
    uint64_t shadow_waiting = 0;    // reads waiting now to be compared a second time
  };
  Stats stats() const;
  // The counters of stats() in Prometheus text (airpg_api_*), for /metrics.
  std::string RenderMetrics() const;
  // Blocks until every queued shadow comparison is done (tests).
  void DrainShadow();
  // Blocks until every sort index asked for so far is built or given up (tests, bench).
  void DrainSortIndexes() { sort_indexes_.Drain(); }

 private:
  struct Cached {
    std::shared_ptr<const ApiBase> base;  // shared with requests in flight
    std::chrono::steady_clock::time_point loaded;
    uint64_t generation = 0;  // catalog_'s when loading began
  };
  // The base's plan, reloaded after plan_ttl; nullptr with `*error` set.
  std::shared_ptr<const ApiBase> Base(pg::Connection& conn, const std::string& base_id,
                                      http::Response* error);
  http::Response Records(pg::Connection& conn, const http::Request& request,
                         const std::vector<std::string>& path, const std::string& query);
  http::Response MetaTables(pg::Connection& conn, const std::string& base_id);
  http::Response MetaBases(pg::Connection& conn, const std::optional<TokenInfo>& token);
  // The token of `secret` (cached for token_refresh); nullopt: not a live token.
  std::optional<TokenInfo> Authenticate(pg::Connection& conn, std::string_view secret);
  // `target` is the path rebuilt from checked segments plus the query.
  http::Response Proxy(const http::Request& request, const std::string& target,
                       const std::string& base_id);
  // Proxies a record request for `table` through the route handover, to the
  // path rebuilt from the checked segments of what the handover sends.
  http::Response ProxyRecords(pg::Connection& conn, const http::Request& request,
                              const ApiBase& base, const mapping::TablePlan& table, bool read);
  // Answers a read from Postgres (list or get), for postgres and shadow.
  http::Response ReadFromPostgres(pg::Connection& conn, const http::Request& request,
                                  const ApiBase& base, const mapping::TablePlan& table,
                                  const std::vector<std::string>& path, const std::string& query);
  struct ShadowJob {
    http::Request request;
    std::string base_id;
    std::string airtable_body;
    int64_t answered_at_micros = 0;  // when Airtable answered (Unix time)
    // Set by the first compare, for the second (shadow_recheck_wait).
    std::string table_id;
    std::vector<ShadowDiff> first;
    std::chrono::steady_clock::time_point recheck_by;
  };
  void ShadowLoop();
  // Answers `job` from Postgres and compares; nullopt when the base or
  // table is gone. Sets job.table_id.
  std::optional<std::vector<ShadowDiff>> ShadowCompare(pg::Connection& conn, ShadowJob& job);
  // Runs the second compare of each waiting job whose table's sync has
  // passed its answer, or whose wait is over; puts the others back.
  void ShadowRecheck(std::vector<ShadowJob> waiting);

  const ApiServiceOptions options_;
  ConnectionPool pool_;
  CatalogWatch catalog_;
  RouteTable routes_;
  RouteHandover handover_;
  SortIndexes sort_indexes_;
  std::mutex mu_;
  std::map<std::string, Cached> bases_;  // guarded by mu_
  struct CachedToken {
    std::optional<TokenInfo> token;
    std::chrono::steady_clock::time_point loaded;
    uint64_t generation = 0;  // catalog_'s when loading began
  };
  std::map<std::string, CachedToken> tokens_;  // by token hash; guarded by mu_
  std::deque<ShadowJob> shadow_queue_;         // guarded by mu_
  std::vector<ShadowJob> shadow_waiting_;      // guarded by mu_; first compare found differences
  bool stopping_ = false;                      // guarded by mu_
  int shadow_busy_ = 0;                        // guarded by mu_
  Stats stats_;                                // guarded by mu_
  std::condition_variable shadow_cv_;
  std::thread shadow_thread_;  // last: started after everything it uses
};

}  // namespace airpg::api
