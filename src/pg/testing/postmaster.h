// Test helpers to find and kill an embedded cluster's server the way a crash
// would: its postmaster pid and a bounded wait until that process is gone.
// Single-thread (tests).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>

namespace airpg::pg::testing {

// The pid in DATA_DIR/postmaster.pid, or 0.
pid_t PostmasterPid(const std::filesystem::path& data_dir);

// Waits until `pid` has exited (a zombie counts as exited); false at the deadline.
bool WaitUntilGone(pid_t pid, std::chrono::milliseconds limit);

}  // namespace airpg::pg::testing
