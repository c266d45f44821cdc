#include "pg/server_user.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace airpg::pg {

Result<ServerUser> ServerUser::ForThisProcess() {
  ServerUser user;
  uid_t me = geteuid();
  if (me != 0) {
    const passwd* pw = getpwuid(me);
    user.name_ = pw ? pw->pw_name : std::to_string(me);
    user.uid_ = me;
    user.gid_ = getegid();
    return user;
  }
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return FailedPreconditionError(
        "running as root, but there is no `postgres` system user to run the embedded server: "
        "install postgresql-15 (scripts/install-deps) or run airpg as a normal user");
  }
  user.other_user_ = true;
  user.name_ = pw->pw_name;
  user.uid_ = pw->pw_uid;
  user.gid_ = pw->pw_gid;
  return user;
}

std::vector<std::string> ServerUser::Command(std::vector<std::string> argv) const {
  if (!other_user_) return argv;
  std::vector<std::string> out = {"runuser", "-u", name_, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Status ServerUser::Own(const std::filesystem::path& path) const {
  if (!other_user_) return Status::Ok();
  if (::chown(path.c_str(), uid_, gid_) != 0) {
    return PermissionDeniedError(
        fmt::format("cannot give {} to user {}: {}", path.string(), name_, std::strerror(errno)));
  }
  return Status::Ok();
}

Status ServerUser::CheckCanReach(const std::filesystem::path& dir) const {
  if (!other_user_) return Status::Ok();
  std::filesystem::path p = std::filesystem::absolute(dir);
  for (std::filesystem::path cur = p.parent_path();; cur = cur.parent_path()) {
    struct stat st;
    if (::stat(cur.c_str(), &st) == 0) {
      bool ok = st.st_uid == uid_   ? (st.st_mode & S_IXUSR)
                : st.st_gid == gid_ ? (st.st_mode & S_IXGRP)
                                    : (st.st_mode & S_IXOTH);
      if (!ok) {
        return FailedPreconditionError(fmt::format(
            "the `{}` user that runs the embedded Postgres cannot enter {} (mode {:o}); choose "
            "an AIRPG_HOME outside it (e.g. /var/lib/airpg) or let that user search it",
            name_, cur.string(), st.st_mode & 07777));
      }
    }
    if (cur == cur.root_path() || cur.empty()) break;
  }
  return Status::Ok();
}

}  // namespace airpg::pg
