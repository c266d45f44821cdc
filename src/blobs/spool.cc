#include "blobs/spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/core.h>

namespace airpg::blobs {
namespace {

// File-system errors by what the caller can do: free space and retry, fix
// the permissions, or give up on this attachment.
Status ErrnoStatus(std::string_view what, const std::string& path, int error) {
  std::string message = fmt::format("{} {}: {}", what, path, std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) return ResourceExhaustedError(message);
  if (error == EACCES || error == EPERM || error == EROFS) return PermissionDeniedError(message);
  return UnavailableError(message);
}

}  // namespace

Spool::Spool(std::string directory, size_t memory_limit)
    : directory_(std::move(directory)), memory_limit_(memory_limit) {}

Spool::Spool(Spool&& other) noexcept
    : directory_(std::move(other.directory_)),
      memory_limit_(other.memory_limit_),
      memory_(std::move(other.memory_)),
      fd_(other.fd_),
      path_(std::move(other.path_)),
      size_(other.size_) {
  other.fd_ = -1;
  other.path_.clear();
  other.size_ = 0;
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status Spool::Spill() {
  // An unnamed file (O_TMPFILE): it goes with its descriptor, so even a
  // killed process (SIGKILL runs no destructor) leaves nothing behind. A file
  // system without O_TMPFILE gets a named file, removed by ~Spool and Reset.
  int fd = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) {
    fd_ = fd;
    path_.clear();
  } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
    std::string name = directory_ + "/.airpg-spool-XXXXXX";
    std::vector<char> buffer(name.begin(), name.end());
    buffer.push_back('\0');
    fd = ::mkostemp(buffer.data(), O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot create a spool file in", directory_, errno);
    fd_ = fd;
    path_ = buffer.data();
  } else {
    return ErrnoStatus("cannot create a spool file in", directory_, errno);
  }
  std::string held = std::move(memory_);
  memory_.clear();
  size_ = 0;
  return Append(held);
}

Status Spool::Append(std::string_view piece) {
  if (fd_ < 0) {
    if (memory_.size() + piece.size() <= memory_limit_) {
      memory_.append(piece);
      size_ += static_cast<int64_t>(piece.size());
      return Status::Ok();
    }
    AIRPG_RETURN_IF_ERROR(Spill());
  }
  while (!piece.empty()) {
    ssize_t written = ::pwrite(fd_, piece.data(), piece.size(), size_);
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path_, errno);
    }
    size_ += written;
    piece.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

void Spool::Reset() {
  memory_.clear();
  size_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

Status Spool::ReadChunks(size_t chunk, const std::function<Status(std::string_view)>& sink) const {
  if (fd_ < 0) {
    for (size_t at = 0; at < memory_.size(); at += chunk) {
      AIRPG_RETURN_IF_ERROR(sink(std::string_view(memory_).substr(at, chunk)));
    }
    return Status::Ok();
  }
  std::string buffer(chunk, '\0');
  int64_t offset = 0;
  while (offset < size_) {
    size_t want =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(chunk), size_ - offset));
    ssize_t got = ::pread(fd_, buffer.data(), want, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoStatus("cannot read", path_, errno);
    if (got == 0) return DataLossError(fmt::format("spool file {} is shorter than written", path_));
    AIRPG_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), static_cast<size_t>(got))));
    offset += got;
  }
  return Status::Ok();
}

Status Spool::RenameTo(const std::string& target) {
  if (fd_ < 0) AIRPG_RETURN_IF_ERROR(Spill());
  // The data reaches the disk before the name does: after a crash the final
  // name holds the whole content or does not exist.
  int sync_error = ::fsync(fd_) == 0 ? 0 : errno;
  int fd = fd_;
  fd_ = -1;
  size_ = 0;
  std::string from = std::move(path_);
  path_.clear();
  Status named = sync_error != 0 ? ErrnoStatus("cannot flush a spool file for", target, sync_error)
                 : from.empty()  ? LinkUnnamed(fd, target)
                                 : Status::Ok();
  ::close(fd);
  if (from.empty()) return named;
  if (named.ok() && ::rename(from.c_str(), target.c_str()) != 0) {
    named = ErrnoStatus("cannot rename the spool file to", target, errno);
  }
  if (!named.ok()) ::unlink(from.c_str());
  return named;
}

Status Spool::LinkUnnamed(int fd, const std::string& target) {
  // linkat of /proc/self/fd/N names an O_TMPFILE file without privileges.
  std::string self = fmt::format("/proc/self/fd/{}", fd);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    return Status::Ok();
  }
  if (errno != EEXIST) return ErrnoStatus("cannot name the spool file", target, errno);
  // linkat never replaces a file: link beside it, then rename over it.
  static std::atomic<uint64_t> counter{0};
  std::string beside = fmt::format("{}.airpg-spool-{}-{}", target, ::getpid(), ++counter);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, beside.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return ErrnoStatus("cannot name the spool file", beside, errno);
  }
  if (::rename(beside.c_str(), target.c_str()) != 0) {
    int error = errno;
    ::unlink(beside.c_str());
    return ErrnoStatus("cannot rename the spool file to", target, error);
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", directory, errno);
  int error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return error == 0 ? Status::Ok() : ErrnoStatus("cannot flush directory", directory, error);
}

}  // namespace airpg::blobs
