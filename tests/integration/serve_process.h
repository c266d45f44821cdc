// A started `airpg serve` in the tests that run the real binary: where it
// listens (--port 0: read from the line it writes once its port is bound,
// "airpg serve: listening on 127.0.0.1:PORT"), and its clean stop. Tests
// only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "child_process.h"
#include "wait_for.h"

namespace airpg::testing {

// "http://127.0.0.1:PORT" once `serve` said it listens (within a minute);
// "" and a test failure showing its stderr if it did not.
inline std::string ServeUrl(ChildProcess& serve) {
  const std::string prefix = "airpg serve: listening on 127.0.0.1:";
  if (!WaitFor([&] { return serve.Stderr().find(prefix) != std::string::npos; },
               std::chrono::seconds(60))) {
    ADD_FAILURE() << serve.Stderr();
    return "";
  }
  std::string err = serve.Stderr();
  return "http://127.0.0.1:" +
         std::to_string(std::atoi(err.c_str() + err.find(prefix) + prefix.size()));
}

// SIGTERM ends `serve` with 0 (within a minute).
inline void ExpectStopsOnSigterm(ChildProcess& serve) {
  serve.Signal(SIGTERM);
  auto ended = serve.Wait(std::chrono::seconds(60));
  ASSERT_TRUE(ended.has_value()) << serve.Stderr();
  EXPECT_EQ(ended->exit_code, 0) << ended->err;
}

}  // namespace airpg::testing
