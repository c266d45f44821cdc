// The fixture of the integration tests that migrate a base: the in-process
// emulator serving a data file, the test's own Postgres database, a client
// with a generous pacer, and helpers to migrate, verify and query.
// Tests only; single-thread.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "airtable/client.h"
#include "emulator/emulator.h"
#include "http/client.h"
#include "migrate/migrator.h"
#include "migrate/verify.h"
#include "pg/testing/pg_test.h"

namespace airpg::testing {

using nlohmann::json;

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EmulatedBaseTest : public pg::testing::PgTest {
 protected:
  // Serves `data_json` (a data file, docs/emulator.md) without rate limits,
  // with a client whose pacer will not hold the tests back. `seed` seeds
  // the emulator's generated ids and fault rolls.
  void StartEmulator(const std::string& data_json, uint64_t seed = 20240101) {
    emulator::EmulatorOptions options;
    options.data_json = data_json;
    options.seed = seed;
    options.rate_limits = false;
    auto started = emulator::Emulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    emulator_ = std::move(started).value();
    airtable::PacerLimits limits;
    limits.per_base = 1000;
    limits.per_token = 1000;
    pacer_ = std::make_unique<airtable::Pacer>(limits);
    client_ = ClientThrough(std::make_unique<airtable::CurlTransport>());
  }

  // Another client of the emulator, with the fixture's pacer and retry
  // waits, whose requests go through `transport` (tests that fail or watch
  // some of them).
  std::unique_ptr<airtable::Client> ClientThrough(std::unique_ptr<airtable::Transport> transport) {
    airtable::ClientOptions client_options;
    client_options.endpoint_url = emulator_->url();
    client_options.token = "patMigrateTest000.0123456789abcdef";
    client_options.backoff.initial = std::chrono::milliseconds(5);
    client_options.backoff.max_delay = std::chrono::milliseconds(20);
    client_options.backoff.max_attempts = 3;
    return std::make_unique<airtable::Client>(client_options, *pacer_, std::move(transport));
  }

  json Control(const std::string& method, const std::string& path, const json& body = nullptr) {
    http::Client http;
    auto response =
        http.Send(method, emulator_->url() + "/__emulator/" + path,
                  {{"Content-Type", "application/json"}}, body.is_null() ? "" : body.dump());
    EXPECT_TRUE(response.ok());
    return response.ok() ? json::parse(response->body, nullptr, false) : json();
  }

  Result<migrate::MigrateSummary> Run(const std::string& base,
                                      migrate::MigrateOptions options = {}) {
    options.base_id = base;
    return migrate::Migrate(*client_, conn(), url(), options);
  }

  migrate::VerifyReport Verify(const std::string& base) {
    auto verified = migrate::VerifyBase(*client_, conn(), base);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    return verified.ok() ? verified->report : migrate::VerifyReport{};
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
    return rows.ok() && rows->size() > 0 ? std::string(rows->Get(0, 0)) : "";
  }

  static void ExpectClean(const migrate::VerifyReport& report) {
    EXPECT_TRUE(report.clean());
    for (const auto& t : report.tables) {
      for (const auto& e : t.examples) ADD_FAILURE() << t.table_name << ": " << e;
    }
  }

  std::unique_ptr<emulator::Emulator> emulator_;
  std::unique_ptr<airtable::Pacer> pacer_;
  std::unique_ptr<airtable::Client> client_;
};

}  // namespace airpg::testing
