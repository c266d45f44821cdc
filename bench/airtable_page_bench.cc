// Record pages parsed per second: airpg's parser (simdjson, cells kept as
// exact JSON text) on a 100-record page shaped like a real base, against the
// baseline of nlohmann::json parsing the same page into a DOM, both measured
// in this run. Target: >= 20,000 pages/s. Usage: airtable_page_bench [SECONDS]
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/record.h"

namespace {

std::string MakePage() {
  std::string page = "{\"records\":[";
  for (int i = 0; i < 100; ++i) {
    if (i > 0) page += ",";
    page += fmt::format(
        R"({{"id":"rec{:014d}","createdTime":"2024-03-0{}T12:34:56.000Z","fields":{{)"
        R"("Name":"Client {} — Zoë & Co","Email":"client{}@example.com","Amount":{}.{:02},)"
        R"("Active":true,"Stage":"Negotiation","Tags":["priority","west coast","renewal"],)"
        R"("Owner":{{"id":"usr00000000000{:03d}","email":"owner@example.com","name":"Ada"}},)"
        R"("Regulators":["recA0000000000001","recA0000000000002"],"Notes":"Line one\nLine two with \"quotes\"",)"
        R"("Due":"2024-12-31","Files":[{{"id":"att00000000000001","url":"https://v5.airtableusercontent.com/v3/u/1/1/1/x/y","filename":"contract.pdf","size":52668,"type":"application/pdf"}}]}}}})",
        i, i % 9 + 1, i, i, i * 37, i % 100, i);
  }
  return page + "],\"offset\":\"itr00000000000001/rec00000000000099\"}";
}

template <typename F>
double PagesPerSecond(double seconds, F parse) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  int64_t pages = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    for (int i = 0; i < 100; ++i) parse();
    pages += 100;
  }
  return pages / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const std::string page = MakePage();
  size_t cells = 0;
  double ours = PagesPerSecond(seconds, [&] {
    auto parsed = airpg::airtable::ParseRecordPage(page);
    if (!parsed.ok()) {
      std::cerr << parsed.status().ToString() << "\n";
      std::exit(1);
    }
    cells = parsed->records.size() * parsed->records[0].field_count();
  });
  double baseline = PagesPerSecond(seconds, [&] {
    nlohmann::json doc = nlohmann::json::parse(page);
    if (doc["records"].size() != 100) std::exit(1);
  });
  std::cout << fmt::format("airtable_page_bench: page of 100 records, {} cells, {} bytes\n", cells,
                           page.size());
  std::cout << fmt::format("airtable_page_bench: airpg parser: {:.0f} pages/s (target >= 20000)\n",
                           ours);
  std::cout << fmt::format("airtable_page_bench: baseline nlohmann::json DOM: {:.0f} pages/s\n",
                           baseline);
  std::cout << fmt::format("airtable_page_bench: ratio = {:.1f}x\n", ours / baseline);
  return 0;
}
