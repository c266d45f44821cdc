// CatalogWatch: tells `airpg serve`'s caches (the base plans, routes and
// tokens of api_service.h) when the catalog they copy has changed, so a
// request reads none of it from Postgres while nothing changed. One thread
// per process LISTENs on airpg_catalog, which a change to airpg.routes,
// api_tokens, bases, tables or fields NOTIFYs once committed (catalog v21),
// and moves generation() on each notification. A cache tags what it loads
// with the generation read BEFORE loading and reloads once it moves, so a
// change committed while it loaded is not missed. While the thread is not
// listening (starting, connection lost) the generation moves every `poll`,
// so caches then reload as often as that. Catalog writes made with triggers
// off (a restore) are not seen: the caches' own age limits cover them.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace airpg::api {

class CatalogWatch {
 public:
  // `conninfo` "": nothing to watch; the generation moves on every call.
  CatalogWatch(std::string conninfo, std::chrono::milliseconds poll);
  ~CatalogWatch();  // stops the thread within `poll`

  // Moves whenever the catalog may have changed since the last value.
  uint64_t generation();

 private:
  void Loop();

  const std::string conninfo_;
  const std::chrono::milliseconds poll_;
  std::atomic<uint64_t> generation_{0};
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: started after everything it uses
};

}  // namespace airpg::api
