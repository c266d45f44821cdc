// ServerUser: the operating-system user the embedded Postgres server runs as.
// Postgres refuses to run as root, so when airpg runs as root the server runs
// as the `postgres` system user; otherwise as airpg's own user.
// Thread-compatible value.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"

namespace airpg::pg {

class ServerUser {
 public:
  // The user for this process: itself, or `postgres` when running as root.
  static Result<ServerUser> ForThisProcess();

  bool is_other_user() const { return other_user_; }
  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  // argv prefixed so it runs as the server user (runuser when root).
  std::vector<std::string> Command(std::vector<std::string> argv) const;

  // Gives `path` to the server user (no-op when it is this process's user).
  Status Own(const std::filesystem::path& path) const;

  // OK when the server user can reach `dir`: every ancestor searchable.
  Status CheckCanReach(const std::filesystem::path& dir) const;

 private:
  bool other_user_ = false;
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace airpg::pg
