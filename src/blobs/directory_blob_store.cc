// The directory kind of BlobStore: the bytes in <dir>/<sha[0:2]>/<sha>, an
// airpg.blobs row with content NULL beside them.
//
// Invariants: a file under its final name is complete (downloads are spooled
// to <dir>/.spool on the same file system, fsync'd, then renamed); the file
// is in place before its row is inserted, so a row with NULL content has its
// file unless someone removed it (then Has is false and the file is written
// again). A crash between rename and insert leaves a file without a row,
// which the next Put of that content takes over.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/core.h>

#include "blobs/blob_store_kinds.h"

namespace airpg::blobs::internal {
namespace {

namespace fs = std::filesystem;

class DirectoryBlobStore final : public BlobStore {
 public:
  DirectoryBlobStore(std::string directory, size_t chunk_bytes)
      : directory_(std::move(directory)), chunk_bytes_(chunk_bytes) {}

  Result<bool> Has(pg::Connection& conn, const std::string& sha256) override {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn.Exec("SELECT size, content IS NOT NULL FROM airpg.blobs WHERE sha256 = $1", {sha256}));
    if (rows.empty()) return false;
    // Bytes a Postgres store put there are readable too (Read falls back).
    if (rows.Get(0, 1) == "t") return true;
    return FileHasSize(sha256, std::stoll(std::string(rows.Get(0, 0))));
  }

  Spool NewSpool() override { return Spool(directory_ + "/.spool", /*memory_limit=*/0); }

  Status Put(pg::Connection& conn, const std::string& sha256, Spool& spool) override {
    if (!IsSha256Hex(sha256)) return InvalidArgumentError(fmt::format("bad sha256 {}", sha256));
    int64_t size = spool.size();
    if (FileHasSize(sha256, size)) {
      spool.Reset();
    } else {
      fs::path shard = fs::path(directory_) / sha256.substr(0, 2);
      std::error_code error;
      bool created = fs::create_directories(shard, error);
      if (error) {
        return UnavailableError(
            fmt::format("cannot create {}: {}", shard.string(), error.message()));
      }
      if (created) AIRPG_RETURN_IF_ERROR(SyncDirectory(directory_));
      AIRPG_RETURN_IF_ERROR(spool.RenameTo(FilePath(sha256)));
      AIRPG_RETURN_IF_ERROR(SyncDirectory(shard.string()));
    }
    return conn.Run(
        "INSERT INTO airpg.blobs (sha256, size, content) VALUES ($1, $2::bigint, NULL) "
        "ON CONFLICT (sha256) DO NOTHING",
        {sha256, std::to_string(size)});
  }

  Result<std::string> Read(pg::Connection& conn, const std::string& sha256) override {
    if (!IsSha256Hex(sha256)) return InvalidArgumentError(fmt::format("bad sha256 {}", sha256));
    std::string path = FilePath(sha256);
    std::ifstream in(path, std::ios::binary);
    if (!in) return ReadContentColumn(conn, sha256, chunk_bytes_);
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return UnavailableError(fmt::format("cannot read {}", path));
    return out;
  }

  std::string Describe() const override { return directory_; }

 private:
  // REQUIRES: IsSha256Hex(sha256), so the name cannot leave the directory.
  std::string FilePath(const std::string& sha256) const {
    return directory_ + "/" + sha256.substr(0, 2) + "/" + sha256;
  }

  bool FileHasSize(const std::string& sha256, int64_t size) const {
    std::error_code error;
    uintmax_t found = fs::file_size(FilePath(sha256), error);
    return !error && found == static_cast<uintmax_t>(size);
  }

  const std::string directory_;
  const size_t chunk_bytes_;
};

}  // namespace

std::unique_ptr<BlobStore> NewDirectoryBlobStore(std::string directory, size_t chunk_bytes) {
  return std::make_unique<DirectoryBlobStore>(std::move(directory), chunk_bytes);
}

}  // namespace airpg::blobs::internal
