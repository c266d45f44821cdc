// `airpg serve` reads (issue 17): a list page — 100 records, filterByFormula
// and sort — of a generated table served from Postgres by the API (in
// process, over HTTP with keep-alive), at 1, 16 and 64 clients: p50, p99 and
// requests/s (a lean keep-alive client, one thread per client). The baseline,
// in the same run: the same SQL (captured from the API) through pgbench at
// the same client counts (prepared, one thread per client), the physical limit. Target:
// ≥ 0.7 of pgbench's TPS and p99 ≤ 10 ms at 16 clients. For scale, the same
// request in airtable mode (proxied to the emulator, limits off). Before
// measuring, the sort index serve builds on demand (api/sort_indexes.h) is
// awaited, and the statement's plan is printed (EXPLAIN ANALYZE). After, the
// write cost of that index: single-row updates of the sorted column through
// pgbench on a trigger-free copy of the table, without and with the index.
// Usage: serve_bench [--records N] [--seconds S] [--clients 1,16,64]
//   (defaults 100000, 5, 1,16,64; `--clients 16` to profile one level)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "airtable/client.h"
#include "api/api_service.h"
#include "base/subprocess.h"
#include "bench/bench_support.h"
#include "http/client.h"
#include "http/server.h"
#include "http/url.h"
#include "pg/connection.h"
#include "pg/quote.h"

namespace fs = std::filesystem;
using namespace airpg;
using bench::OrDie;

namespace {

struct Figures {
  double p50_ms = 0, p99_ms = 0, rps = 0;
  int64_t errors = 0;
};

// A lean keep-alive HTTP/1.1 client for the load generator, as light as
// pgbench's libpq loop: one blocking socket, the request bytes written once,
// the answer read to its Content-Length. libcurl's per-request work (header
// lists, callbacks, copies) ran on the same two cores as the server and
// Postgres and was charged to the API; a real application calls from other
// machines. Returns the status, 0 on a transport error (reconnects).
class LeanClient {
 public:
  LeanClient(int port, std::string request) : port_(port), request_(std::move(request)) {}
  ~LeanClient() { Close(); }

  int Get() {
    if (fd_ < 0 && !Connect()) return 0;
    if (!SendAll()) {  // the server closed an idle connection: once more
      Close();
      if (!Connect() || !SendAll()) return 0;
    }
    buffer_.clear();
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome()) return Fail();
    }
    std::string_view head(buffer_.data(), head_end);
    int status = head.size() > 12 ? std::atoi(std::string(head.substr(9, 3)).c_str()) : 0;
    size_t length = 0;
    for (std::string_view name : {"Content-Length: ", "content-length: "}) {
      if (size_t at = head.find(name); at != std::string_view::npos) {
        length = std::strtoull(head.data() + at + name.size(), nullptr, 10);
      }
    }
    bool close = head.find("Connection: close") != std::string_view::npos;
    while (buffer_.size() < head_end + 4 + length) {
      if (!ReadSome()) return Fail();
    }
    if (close) Close();
    return status;
  }

 private:
  bool Connect() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    int yes = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close();
      return false;
    }
    return true;
  }
  bool SendAll() {
    for (size_t sent = 0; sent < request_.size();) {
      ssize_t n = send(fd_, request_.data() + sent, request_.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  bool ReadSome() {
    char chunk[64 * 1024];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int Fail() {
    Close();
    return 0;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  const int port_;
  const std::string request_;
  int fd_ = -1;
  std::string buffer_;
};

Figures Load(const std::string& url, int clients, double seconds) {
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int64_t> errors{0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  // url is http://127.0.0.1:PORT/target
  size_t host = url.find("://") + 3;
  size_t colon = url.find(':', host), slash = url.find('/', host);
  int port = std::atoi(url.substr(colon + 1, slash - colon - 1).c_str());
  std::string request = "GET " + url.substr(slash) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer patBench\r\n\r\n";
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      LeanClient client(port, request);
      while (std::chrono::steady_clock::now() < deadline) {
        auto start = std::chrono::steady_clock::now();
        int status = client.Get();
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (status != 200) ++errors;
        latencies[c].push_back(ms);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Figures f;
  if (!all.empty()) {
    f.p50_ms = all[all.size() / 2];
    f.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    f.rps = all.size() / seconds;
  }
  f.errors = errors;
  return f;
}

// The statement with its parameters written in as literals (pgbench's
// script has no parameters of ours); the bench's own values only.
std::string Inline(std::string sql, const std::vector<pg::Param>& params) {
  for (size_t i = params.size(); i >= 1; --i) {
    std::string literal = "NULL";
    if (params[i - 1]) {
      literal = "'";
      for (char c : *params[i - 1]) literal += c == '\'' ? std::string("''") : std::string(1, c);
      literal += "'";
    }
    std::string name = "$" + std::to_string(i);
    for (size_t at = sql.find(name); at != std::string::npos; at = sql.find(name, at)) {
      bool longer = at + name.size() < sql.size() && std::isdigit(sql[at + name.size()]);
      if (longer) {
        at += name.size();
        continue;
      }
      sql.replace(at, name.size(), literal);
      at += literal.size();
    }
  }
  return sql;
}

// pgbench under the load generator's conditions: one thread per client (as
// Load), and the statement prepared once per connection (as the API's pool
// does), so the baseline is the best the same SQL does, not a re-planning one.
// With `latencies`, its per-transaction log gives p50 and p99 too, so the
// API's tail can be read against the database's own on the same machine.
struct Pgbench {
  double tps = 0, p50_ms = 0, p99_ms = 0;
};
Pgbench RunPgbench(const std::string& conninfo, const fs::path& script, int clients, double seconds,
                   const fs::path& log_dir = {}) {
  ProcessOptions options;
  options.timeout = std::chrono::seconds(static_cast<int>(seconds) + 60);
  std::vector<std::string> args = {"/usr/lib/postgresql/15/bin/pgbench",
                                   "-n",
                                   "-M",
                                   "prepared",
                                   "-c",
                                   std::to_string(clients),
                                   "-j",
                                   std::to_string(clients),
                                   "-T",
                                   std::to_string(static_cast<int>(seconds)),
                                   "-f",
                                   script.string()};
  if (!log_dir.empty()) {
    fs::remove_all(log_dir);
    fs::create_directories(log_dir);
    args.push_back("-l");
    args.push_back("--log-prefix=" + (log_dir / "tx").string());
  }
  args.push_back(conninfo);
  auto out = RunProcess(args, options);
  if (!out.ok() || out->exit_code != 0) {
    throw bench::Failed{"pgbench: " + (out.ok() ? out->err : out.status().ToString())};
  }
  Pgbench result;
  size_t at = out->out.find("tps = ");
  result.tps = at == std::string::npos ? 0 : std::atof(out->out.c_str() + at + 6);
  if (!log_dir.empty()) {
    // Each line: client transaction latency_us script epoch_s epoch_us.
    std::vector<double> ms;
    for (const auto& file : fs::directory_iterator(log_dir)) {
      std::ifstream in(file.path());
      long client, tx, latency_us;
      std::string rest;
      while (in >> client >> tx >> latency_us && std::getline(in, rest)) {
        ms.push_back(latency_us / 1000.0);
      }
    }
    std::sort(ms.begin(), ms.end());
    if (!ms.empty()) {
      result.p50_ms = ms[ms.size() / 2];
      result.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    }
  }
  return result;
}

double PgbenchTps(const std::string& conninfo, const fs::path& script, int clients,
                  double seconds) {
  return RunPgbench(conninfo, script, clients, seconds).tps;
}

// What the sort index costs writers: single-row updates of its column on a
// copy of the table (no audit or outbox triggers, which would hide it),
// without and with the same index.
void WriteCost(pg::Connection& db, const std::string& conninfo, const fs::path& dir,
               double seconds) {
  pg::Rows index = OrDie(
      db.Exec("SELECT n.nspname || '.' || quote_ident(t.relname), a.attname, "
              "substring(pg_get_indexdef(i.indexrelid) FROM 'USING .*$') "
              "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
              "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
              "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
              "WHERE c.relname LIKE '%airpg_sort%'"),
      "find the sort index");
  if (index.empty()) throw bench::Failed{"serve built no sort index"};
  std::string column = QuoteIdentifier(index.Get(0, 1));
  OrDie(db.Run("DROP TABLE IF EXISTS public.write_cost"), "drop copy");
  OrDie(db.Run("CREATE TABLE public.write_cost AS SELECT * FROM " + std::string(index.Get(0, 0))),
        "copy");
  OrDie(db.Run("ALTER TABLE public.write_cost ADD PRIMARY KEY (id)"), "primary key");
  pg::Rows max = OrDie(db.Exec("SELECT max(id) FROM public.write_cost"), "max id");
  fs::path script = dir / "write.sql";
  std::ofstream(script) << "\\set id random(1, " << max.Get(0, 0) << ")\n"
                        << "UPDATE public.write_cost SET " << column << " = coalesce(" << column
                        << ", 0) + 1 WHERE id = :id;\n";
  double without = PgbenchTps(conninfo, script, 16, seconds);
  OrDie(db.Run("CREATE INDEX ON public.write_cost " + std::string(index.Get(0, 2))), "index copy");
  double with = PgbenchTps(conninfo, script, 16, seconds);
  std::cout << fmt::format(
      "serve_bench: write cost of the sort index ({}), single-row updates of {} at 16 "
      "clients: {:.0f} tps without, {:.0f} tps with; ratio {:.2f}\n",
      index.Get(0, 2), column, without, with, without > 0 ? with / without : 0);
  OrDie(db.Run("DROP TABLE public.write_cost"), "drop copy");
}

}  // namespace

int main(int argc, char** argv) {
  int records = 100000;
  double seconds = 5;
  std::vector<int> levels = {1, 16, 64};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--records") records = std::atoi(argv[i + 1]);
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--clients") {
      levels.clear();
      for (size_t at = 0; at != std::string::npos;) {
        std::string value(argv[i + 1]);
        size_t comma = value.find(',', at);
        levels.push_back(std::atoi(value.substr(at, comma - at).c_str()));
        at = comma == std::string::npos ? comma : comma + 1;
      }
    }
  }
  bench::ScratchDir scratch("serve_bench");
  bench::Harness h("serve_bench", scratch.path());
  try {
    OrDie(h.StartPostgres(), "postgres");
    fs::path data = OrDie(h.Generate(1, records), "generate");
    bench::Emulator emu = OrDie(h.StartEmulator(data, /*rate_limits=*/false), "emulator");
    OrDie(h.admin().Run("CREATE DATABASE serve"), "create database");
    h.Say(fmt::format("airpg migrate: {} records", records));
    auto migrate = OrDie(bench::ChildProcess::Spawn(
                             {AIRPG_BINARY, "migrate", "--base", emu.base_id, "--output", "json"},
                             h.AirpgOptions(emu, "serve", /*paced=*/false, "migrate")),
                         "migrate");
    auto exit = OrDie(migrate->Wait(), "migrate");
    if (!exit.ok()) throw bench::Failed{"airpg migrate failed"};

    airtable::PacerLimits limits;
    limits.per_base = 100000;
    limits.per_token = 100000;
    airtable::Pacer pacer(limits);
    airtable::ClientOptions client_options;
    client_options.endpoint_url = emu.url;
    client_options.token = bench::kBenchToken;
    airtable::Client upstream(client_options, pacer);

    std::string sql;
    std::vector<pg::Param> params;
    std::mutex mu;
    api::ApiServiceOptions options;
    options.base_ids = {emu.base_id};
    options.conninfo = h.cluster().Url("serve");
    options.pool_size = 24;  // with pgbench's 64, under the cluster's max_connections
    options.require_tokens = false;
    options.default_mode = api::RouteMode::kPostgres;
    options.upstream = &upstream;
    options.on_query = [&](std::string_view s, const std::vector<pg::Param>& p) {
      std::lock_guard lock(mu);
      if (sql.empty()) sql = s, params = p;
    };
    api::ApiService api(options);
    http::Server::Options server_options;
    server_options.threads = 72;
    http::Server server;
    OrDie(server.Start(server_options,
                       [&](const http::Request& request) { return api.Handle(request); }),
          "server");
    nlohmann::json tables =
        OrDie(h.Get(emu.url + "/v0/meta/bases/" + emu.base_id + "/tables"), "tables");
    std::string table_id = tables["tables"][0]["id"];
    std::string url = fmt::format(
        "http://127.0.0.1:{}/v0/{}/{}?pageSize=100&filterByFormula={}&sort%5B0%5D%5Bfield%5D=Amount"
        "&sort%5B0%5D%5Bdirection%5D=desc",
        server.port(), emu.base_id, table_id, http::PercentEncode("{Amount} > 100"));
    Figures warm = Load(url, 1, 1);  // the plan cached, the SQL captured
    if (warm.errors > 0 || sql.empty()) throw bench::Failed{"the list request failed"};
    auto indexing = std::chrono::steady_clock::now();
    api.DrainSortIndexes();  // the first sorted request asked for the index
    h.Say(fmt::format(
        "sort index ready {:.1f} s after the first sorted request",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - indexing).count()));
    Load(url, 1, 1);  // prepared statements warm with the index in place
    {
      // The API alone, without HTTP, and the statement alone on one of its
      // pooled-like connections: where a request's time goes.
      http::Request direct;
      direct.method = "GET";
      direct.target = url.substr(url.find("/v0/"));
      direct.headers["authorization"] = "Bearer patBench";
      std::vector<double> handle_ms;
      for (int i = 0; i < 50; ++i) {
        auto start = std::chrono::steady_clock::now();
        http::Response r = api.Handle(direct);
        handle_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
        if (r.status != 200) throw bench::Failed{"direct Handle: " + r.body};
      }
      std::sort(handle_ms.begin(), handle_ms.end());
      std::cout << fmt::format(
          "serve_bench: ApiService::Handle in process (no HTTP), 1 caller: p50 {:.2f} ms, p99 "
          "{:.2f} ms\n",
          handle_ms[25], handle_ms[49]);
    }
    fs::path script = scratch.path() / "page.sql";
    std::string inlined = Inline(sql, params);
    std::ofstream(script) << inlined << ";\n";
    pg::Connection db = OrDie(pg::Connection::Open(h.cluster().Url("serve")), "connect");
    std::cout << "serve_bench: the list statement:\n" << inlined << "\n";
    pg::Rows plan = OrDie(db.Exec("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + inlined), "explain");
    for (int r = 0; r < plan.size(); ++r) std::cout << "  " << plan.Get(r, 0) << "\n";

    std::cout << fmt::format(
        "serve_bench: list page (100 records, filterByFormula {{Amount}} > 100, sort Amount desc) "
        "of a {}-record table, {} s per level\n",
        records, seconds);
    for (int clients : levels) {
      Figures f = Load(url, clients, seconds);
      Pgbench pg = RunPgbench(h.cluster().Url("serve"), script, clients, seconds,
                              scratch.path() / "pgbench_log");
      double tps = pg.tps;
      std::cout << fmt::format(
          "serve_bench: postgres mode, {:>2} clients: p50 {:.2f} ms, p99 {:.2f} ms, {:.0f} req/s "
          "({} errors); pgbench same SQL {:.0f} tps (p50 {:.2f} ms, p99 {:.2f} ms); ratio "
          "{:.2f}{}\n",
          clients, f.p50_ms, f.p99_ms, f.rps, f.errors, tps, pg.p50_ms, pg.p99_ms,
          tps > 0 ? f.rps / tps : 0,
          clients == 16 ? fmt::format(" (target ≥ 0.70, p99 ≤ 10 ms)") : "");
    }
    WriteCost(db, h.cluster().Url("serve"), scratch.path(), seconds);

    api::ApiServiceOptions proxied = options;
    proxied.default_mode = api::RouteMode::kAirtable;
    proxied.on_query = nullptr;
    api::ApiService proxy(proxied);
    http::Server proxy_server;
    OrDie(proxy_server.Start(server_options,
                             [&](const http::Request& request) { return proxy.Handle(request); }),
          "proxy server");
    std::string proxy_url = url;
    proxy_url.replace(proxy_url.find(std::to_string(server.port())),
                      std::to_string(server.port()).size(), std::to_string(proxy_server.port()));
    Figures p = Load(proxy_url, 16, seconds);
    std::cout << fmt::format(
        "serve_bench: airtable mode (proxied to the emulator, limits off), 16 clients: p50 {:.2f} "
        "ms, p99 {:.2f} ms, {:.0f} req/s ({} errors)\n",
        p.p50_ms, p.p99_ms, p.rps, p.errors);
    proxy_server.Stop();
    server.Stop();
    emu.process->Stop();
  } catch (const bench::Failed& failed) {
    std::cerr << "serve_bench: " << failed.what << "\n";
    return 1;
  }
  return 0;
}
