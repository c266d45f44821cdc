// TestEmulator: starts an Emulator in-process on a free loopback port with a
// small known base and sends it real HTTP requests. Used by emulator tests.
// Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/emulator.h"
#include "http/client.h"

namespace airpg::emulator {

// The test base "appTestBase000001": tables Clients (tblClients0000001) and
// Registrations (tblRegistrations1), linked both ways; five clients.
std::string TestData();

struct Reply {
  int status = 0;
  nlohmann::json body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class TestEmulator {
 public:
  // Rate limits are off unless `options` turns them on.
  static EmulatorOptions DefaultOptions();
  explicit TestEmulator(EmulatorOptions options = DefaultOptions());
  ~TestEmulator();

  Emulator& emulator() { return *emulator_; }

  // Path relative to the emulator's URL, e.g. "/v0/app…/Clients?pageSize=2".
  Reply Send(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& token = "patTestToken");
  Reply Get(const std::string& path) { return Send("GET", path); }
  Reply Post(const std::string& path, const nlohmann::json& body) {
    return Send("POST", path, body.dump());
  }
  Reply Patch(const std::string& path, const nlohmann::json& body) {
    return Send("PATCH", path, body.dump());
  }
  Reply Put(const std::string& path, const nlohmann::json& body) {
    return Send("PUT", path, body.dump());
  }
  Reply Delete(const std::string& path) { return Send("DELETE", path); }

 private:
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<Emulator> emulator_;
};

inline constexpr char kBase[] = "appTestBase000001";
inline constexpr char kClients[] = "/v0/appTestBase000001/Clients";

}  // namespace airpg::emulator
