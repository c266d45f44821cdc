#include "blobs/blob_store.h"

#include <filesystem>
#include <system_error>

#include <fmt/core.h>

#include "blobs/blob_store_kinds.h"

namespace airpg::blobs {
namespace {

Result<std::string> MakeDirectory(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error || !std::filesystem::is_directory(path, error)) {
    return InvalidArgumentError(
        fmt::format("cannot use {} for attachments: {}", path.string(), error.message()));
  }
  return path.string();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(BlobStoreOptions options) {
  if (options.chunk_bytes == 0) return InvalidArgumentError("chunk_bytes must be positive");
  if (!options.directory.empty()) {
    AIRPG_ASSIGN_OR_RETURN(std::string directory, MakeDirectory(options.directory));
    AIRPG_RETURN_IF_ERROR(MakeDirectory(std::filesystem::path(directory) / ".spool").status());
    return internal::NewDirectoryBlobStore(std::move(directory), options.chunk_bytes);
  }
  std::filesystem::path spool = options.spool_directory;
  if (spool.empty()) {
    // The one place this store looks at the environment (TMPDIR), and only
    // when the caller chose no spool directory.
    std::error_code error;
    spool = std::filesystem::temp_directory_path(error);
    if (error) return InvalidArgumentError("no temporary directory for attachment downloads");
  }
  AIRPG_ASSIGN_OR_RETURN(std::string spool_directory, MakeDirectory(spool));
  return internal::NewPostgresBlobStore(std::move(spool_directory), options.chunk_bytes);
}

Status BlobStore::PutBytes(pg::Connection& conn, const std::string& sha256,
                           std::string_view bytes) {
  Spool spool = NewSpool();
  AIRPG_RETURN_IF_ERROR(spool.Append(bytes));
  return Put(conn, sha256, spool);
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace internal {

std::string ByteaLiteral(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 + bytes.size() * 2);
  out += "\\x";
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

Status AppendByteaText(std::string_view text, std::string* out) {
  if (text.substr(0, 2) != "\\x" || text.size() % 2 != 0) {
    return InternalError("bytea not in hex text form (is bytea_output = escape?)");
  }
  out->reserve(out->size() + (text.size() - 2) / 2);
  for (size_t i = 2; i < text.size(); i += 2) {
    int high = HexDigit(text[i]);
    int low = HexDigit(text[i + 1]);
    if (high < 0 || low < 0) return InternalError("bad hex digit in a bytea value");
    out->push_back(static_cast<char>(high << 4 | low));
  }
  return Status::Ok();
}

Result<std::string> ReadContentColumn(pg::Connection& conn, const std::string& sha256,
                                      size_t chunk_bytes) {
  AIRPG_ASSIGN_OR_RETURN(pg::Rows rows, conn.Exec("SELECT octet_length(content) FROM airpg.blobs "
                                                  "WHERE sha256 = $1 AND content IS NOT NULL",
                                                  {sha256}));
  if (rows.empty()) return NotFoundError(fmt::format("blob {} is not stored", sha256));
  int64_t size = std::stoll(std::string(rows.Get(0, 0)));
  std::string out;
  out.reserve(static_cast<size_t>(size));
  for (int64_t offset = 0; offset < size; offset += static_cast<int64_t>(chunk_bytes)) {
    // substring is 1-based.
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows piece,
        conn.Exec("SELECT substring(content FROM $2::integer FOR $3::integer) "
                  "FROM airpg.blobs WHERE sha256 = $1",
                  {sha256, std::to_string(offset + 1), std::to_string(chunk_bytes)}));
    if (piece.empty() || piece.IsNull(0, 0)) {
      return NotFoundError(fmt::format("blob {} disappeared while it was read", sha256));
    }
    AIRPG_RETURN_IF_ERROR(AppendByteaText(piece.Get(0, 0), &out));
  }
  if (static_cast<int64_t>(out.size()) != size) {
    return InternalError(fmt::format("blob {} read as {} of {} bytes", sha256, out.size(), size));
  }
  return out;
}

}  // namespace internal
}  // namespace airpg::blobs
