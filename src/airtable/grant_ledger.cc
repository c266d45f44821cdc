#include "airtable/grant_ledger.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/core.h>

namespace airpg::airtable {
namespace {

namespace fs = std::filesystem;

// The file (docs/formats/pacer-ledger.md): a header, then kCapacity slots used
// as a ring. Host byte order: the file never leaves the machine, whose
// CLOCK_MONOTONIC its times are.
constexpr std::array<char, 8> kMagic = {'A', 'I', 'R', 'P', 'G', 'P', 'L', '\0'};
constexpr uint32_t kVersion = 1;

struct Header {
  std::array<char, 8> magic;
  uint32_t version;
  uint32_t capacity;
  uint64_t next;  // grants ever appended; the next goes to slot next % capacity
  uint64_t reserved;
};

struct Slot {
  uint64_t base_key;   // 0: a request that named no base
  uint64_t token_key;  // server and token
  int64_t at_ns;       // CLOCK_MONOTONIC
  uint64_t owner;      // 0: an empty slot
};

static_assert(sizeof(Header) == 32 && sizeof(Slot) == 32, "the file format fixes both sizes");
constexpr size_t kFileBytes = sizeof(Header) + GrantLedger::kCapacity * sizeof(Slot);

// `error`: the errno of the failed call, read before anything else can change it.
Status IoError(std::string_view what, int error) {
  return UnavailableError(fmt::format("pacer ledger: {}: {}", what,
                                      std::error_code(error, std::generic_category()).message()));
}

// The first 8 bytes of SHA-256 over the parts, each ended by a NUL.
uint64_t Digest64(std::initializer_list<std::string_view> parts) {
  std::string input;
  for (std::string_view part : parts) {
    input.append(part);
    input.push_back('\0');
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // Should OpenSSL fail, every key is 1: all bases and tokens then share one
  // limit, which paces too slowly but never too fast.
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return 1;
  }
  uint64_t out = 0;
  std::memcpy(&out, digest.data(), sizeof(out));
  return out == 0 ? 1 : out;  // 0 means "no base"
}

uint64_t NewOwner() {
  std::random_device random;
  uint64_t owner = (static_cast<uint64_t>(random()) << 32) ^ random() ^
                   (static_cast<uint64_t>(::getpid()) << 16);
  return owner == 0 ? 1 : owner;
}

// Holds flock(LOCK_EX) on an open file until the scope ends.
class ExclusiveLock {
 public:
  explicit ExclusiveLock(int fd) : fd_(fd) {}
  Status Lock() {
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return IoError("flock", errno);
    }
    locked_ = true;
    return Status::Ok();
  }
  ~ExclusiveLock() {
    if (locked_) ::flock(fd_, LOCK_UN);
  }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  int fd_;
  bool locked_ = false;
};

Status WriteAll(int fd, const void* data, size_t size, off_t offset) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("write", n == 0 ? EIO : errno);
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return Status::Ok();
}

// The whole file, or false when it is shorter or longer than the format.
Result<bool> ReadAll(int fd, std::vector<char>& buffer) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("stat", errno);
  if (static_cast<size_t>(st.st_size) != kFileBytes) return false;
  buffer.resize(kFileBytes);
  size_t done = 0;
  while (done < kFileBytes) {
    ssize_t n = ::pread(fd, buffer.data() + done, kFileBytes - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read", errno);
    if (n == 0) return false;  // truncated under us: not possible under the lock, but harmless
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<GrantLedger>> GrantLedger::Open(const fs::path& file,
                                                       std::string_view server,
                                                       std::string_view token, TimeSource* clock) {
  std::error_code ec;
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (ec) {
    return UnavailableError(fmt::format("pacer ledger: cannot create {}: {}",
                                        file.parent_path().string(), ec.message()));
  }
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int error = errno;
    return IoError(fmt::format("cannot open {}", file.string()), error);
  }
  uint64_t token_key = Digest64({"token", server, token});
  return std::unique_ptr<GrantLedger>(new GrantLedger(
      fd, std::string(server), token_key, NewOwner(), clock != nullptr ? *clock : SystemClock()));
}

GrantLedger::GrantLedger(int fd, std::string server, uint64_t token_key, uint64_t owner,
                         TimeSource& clock)
    : fd_(fd), server_(std::move(server)), token_key_(token_key), owner_(owner), clock_(clock) {}

GrantLedger::~GrantLedger() { ::close(fd_); }

uint64_t GrantLedger::BaseKey(std::string_view base_id) const {
  return base_id.empty() ? 0 : Digest64({"base", server_, base_id});
}

Status GrantLedger::Transact(std::string_view base_id, Clock::duration span, const Decide& decide) {
  const uint64_t base_key = BaseKey(base_id);
  ExclusiveLock lock(fd_);
  AIRPG_RETURN_IF_ERROR(lock.Lock());
  // Read after taking the lock, so every grant already in the file is at or
  // before `now`; a later one was written before this boot and is ignored.
  Others others;
  others.now = clock_.Now();
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(others.now.time_since_epoch()).count();
  const int64_t from_ns =
      now_ns - std::chrono::duration_cast<std::chrono::nanoseconds>(span).count();

  std::vector<char> buffer;
  AIRPG_ASSIGN_OR_RETURN(bool complete, ReadAll(fd_, buffer));
  Header header{};
  if (complete) std::memcpy(&header, buffer.data(), sizeof(header));
  const bool valid = complete && header.magic == kMagic && header.version == kVersion &&
                     header.capacity == kCapacity;
  if (valid) {
    for (int i = 0; i < kCapacity; ++i) {
      Slot slot;
      std::memcpy(&slot, buffer.data() + sizeof(Header) + i * sizeof(Slot), sizeof(slot));
      if (slot.owner == 0 || slot.owner == owner_) continue;
      if (slot.at_ns <= from_ns || slot.at_ns > now_ns) continue;
      auto at = Clock::time_point(std::chrono::nanoseconds(slot.at_ns));
      if (slot.token_key == token_key_) others.token.push_back(at);
      if (base_key != 0 && slot.base_key == base_key) others.base.push_back(at);
    }
    std::sort(others.base.begin(), others.base.end());
    std::sort(others.token.begin(), others.token.end());
  }

  if (!decide(others)) return Status::Ok();

  if (!valid) {
    // Empty, short or foreign: start again with every slot empty.
    if (::ftruncate(fd_, 0) != 0 || ::ftruncate(fd_, static_cast<off_t>(kFileBytes)) != 0) {
      return IoError("truncate", errno);
    }
    header = Header{kMagic, kVersion, kCapacity, 0, 0};
  }
  Slot slot{base_key, token_key_, now_ns, owner_};
  off_t offset = static_cast<off_t>(sizeof(Header) + (header.next % kCapacity) * sizeof(Slot));
  AIRPG_RETURN_IF_ERROR(WriteAll(fd_, &slot, sizeof(slot), offset));
  ++header.next;
  return WriteAll(fd_, &header, sizeof(header), 0);
}

}  // namespace airpg::airtable
