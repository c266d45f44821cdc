// airpg-test-pacer-client URL BASE LEDGER REQUESTS: one Airtable client in its
// own process, as one airpg command is: REQUESTS single-record pages of
// "Table 1" of BASE, paced with Airtable's limits and the grant ledger at
// LEDGER ("-": none, this process paces only itself). Exits 0 when every
// request succeeded; prints the 429s its client met. For
// tests/integration/pacer_processes_test.cc.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "airtable/client.h"
#include "airtable/grant_ledger.h"
#include "airtable/pacer.h"

using namespace airpg::airtable;  // NOLINT: a ten-line main

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: airpg-test-pacer-client URL BASE LEDGER|- REQUESTS\n";
    return 2;
  }
  std::string url = argv[1], base_id = argv[2], ledger_file = argv[3];
  int requests = std::atoi(argv[4]);
  const std::string token = "patPacerProcesses.0123456789abcdef";

  std::unique_ptr<GrantLedger> ledger;
  if (ledger_file != "-") {
    auto opened = GrantLedger::Open(ledger_file, url, token);
    if (!opened.ok()) {
      std::cerr << opened.status().ToString() << "\n";
      return 1;
    }
    ledger = std::move(opened).value();
  }
  // Airtable's limits; the margin is wider than the default 20 ms because the
  // tests share two cores (as in airtable_client_test).
  PacerLimits limits;
  limits.margin = std::chrono::milliseconds(60);
  Pacer pacer(limits, nullptr, std::move(ledger));
  ClientOptions options;
  options.endpoint_url = url;
  options.token = token;
  // Short enough that a pacing bug shows as a count of 429s, not a stall.
  options.rate_limit_penalty = std::chrono::milliseconds(300);
  Client client(std::move(options), pacer);

  ListOptions list;
  list.page_size = 1;
  for (int i = 0; i < requests; ++i) {
    auto page = client.ListPage(base_id, "Table 1", list, "", Priority::kBackfill);
    if (!page.ok()) {
      std::cerr << page.status().ToString() << "\n";
      return 1;
    }
  }
  std::cout << "rate_limited " << client.stats().rate_limited << "\n";
  return 0;
}
