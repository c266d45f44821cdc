// Service: the emulator's state and its request entry point — routing,
// authentication, rate limiting and JSON body parsing happen here; each
// endpoint is a handler in handlers/. Internal to emulator/.
// Thread-safe: Handle() takes `mu` for the whole request, so handlers see
// and change the model without further locking.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <memory>

#include "emulator/attachment_signer.h"
#include "emulator/change_set.h"
#include "emulator/clock.h"
#include "emulator/emulator.h"
#include "emulator/faults.h"
#include "emulator/ids.h"
#include "emulator/model.h"
#include "emulator/rate_limiter.h"
#include "emulator/record_filter.h"
#include "emulator/webhook_notifier.h"
#include "emulator/webhook_store.h"
#include "emulator/wire.h"
#include "http/message.h"
#include "http/url.h"

namespace airpg::emulator {

struct Call;

struct Service {
  explicit Service(const EmulatorOptions& opts);

  http::Response Handle(const http::Request& request);
  // The work of Handle under `mu`; sets *latency to the injected delay.
  http::Response HandleLocked(const http::Request& request, int64_t* latency);
  // Turns the call's changes into webhook payloads and pings. REQUIRES: mu held.
  void Publish(Call& call, const std::string& base_id);
  // Makes `loaded` the model, with the options' cell rules in every base.
  // REQUIRES: mu held, or the server not yet started.
  void Install(Model loaded);

  EmulatorOptions options;
  std::string url;  // set once the server has its port
  EmulatorClock clock;
  IdGenerator ids;
  FilterCompiler filter_compiler;
  AttachmentSigner attachment_signer;

  std::mutex mu;
  Model model;               // guarded by mu
  Json initial_state;        // guarded by mu; what /__emulator/reset restores
  OffsetStore offsets;       // guarded by mu
  RateLimiter rate_limiter;  // guarded by mu
  FaultInjector faults;      // guarded by mu
  WebhookStore webhooks;     // guarded by mu

  // Sends pings; its callbacks take `mu`. Declared last so it stops first.
  std::unique_ptr<WebhookNotifier> notifier;
};

// One request on its way through the service; handlers read it.
struct Call {
  Service& service;
  const http::Request& request;
  std::vector<std::string> segments;  // decoded path segments
  http::QueryParams query;
  Json body;  // null when the request had no body
  int64_t now_millis;
  ChangeSet changes;  // filled by write handlers; becomes webhook payloads
  // A handler that serialises its own body (list records) puts it here and
  // returns null; the service sends it as is.
  std::string raw_body;

  // The last value of a query parameter, or "".
  std::string Query(const std::string& key) const;
  // A boolean from the body (true/false/1/0) or else from the query.
  bool Flag(const std::string& key) const;
};

}  // namespace airpg::emulator
