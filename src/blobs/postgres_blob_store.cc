// The Postgres kind of BlobStore: bytes in airpg.blobs.content.
//
// Parameters are text, so bytes travel in bytea's hex form (twice their
// size). A spool that stayed in memory (up to chunk_bytes) goes in one
// INSERT. A larger one is sent in pieces of chunk_bytes into a temporary
// table and assembled by the server with string_agg in the same
// transaction: the client never holds more than one piece, and the value is
// written once more than its size, where appending piece by piece to the
// row (content = content || $2) would rewrite the growing value each time.
#include <fmt/core.h>

#include "blobs/blob_store_kinds.h"
#include "pg/transaction.h"

namespace airpg::blobs::internal {
namespace {

// A row some directory store wrote (content NULL) gets its bytes; a row with
// bytes is left as it is, so a second Put stores nothing new.
constexpr std::string_view kInsertBlob =
    "INSERT INTO airpg.blobs (sha256, size, content) VALUES ($1, $2::bigint, $3::bytea) "
    "ON CONFLICT (sha256) DO UPDATE SET content = EXCLUDED.content "
    "WHERE airpg.blobs.content IS NULL";

constexpr std::string_view kCreatePieces =
    "CREATE TABLE pg_temp.airpg_blob_pieces (seq integer NOT NULL, piece bytea NOT NULL) "
    "ON COMMIT DROP";
constexpr std::string_view kInsertPiece =
    "INSERT INTO pg_temp.airpg_blob_pieces (seq, piece) VALUES ($1::integer, $2::bytea)";
constexpr std::string_view kAssembleBlob =
    "INSERT INTO airpg.blobs (sha256, size, content) "
    "SELECT $1, $2::bigint, coalesce(string_agg(piece, ''::bytea ORDER BY seq), ''::bytea) "
    "FROM pg_temp.airpg_blob_pieces "
    "ON CONFLICT (sha256) DO UPDATE SET content = EXCLUDED.content "
    "WHERE airpg.blobs.content IS NULL";

class PostgresBlobStore final : public BlobStore {
 public:
  PostgresBlobStore(std::string spool_directory, size_t chunk_bytes)
      : spool_directory_(std::move(spool_directory)), chunk_bytes_(chunk_bytes) {}

  Result<bool> Has(pg::Connection& conn, const std::string& sha256) override {
    AIRPG_ASSIGN_OR_RETURN(
        pg::Rows rows,
        conn.Exec("SELECT 1 FROM airpg.blobs WHERE sha256 = $1 AND content IS NOT NULL", {sha256}));
    return !rows.empty();
  }

  Spool NewSpool() override { return Spool(spool_directory_, chunk_bytes_); }

  Status Put(pg::Connection& conn, const std::string& sha256, Spool& spool) override {
    if (!IsSha256Hex(sha256)) return InvalidArgumentError(fmt::format("bad sha256 {}", sha256));
    std::string size = std::to_string(spool.size());
    if (spool.in_memory()) {
      AIRPG_RETURN_IF_ERROR(conn.Run(kInsertBlob, {sha256, size, ByteaLiteral(spool.memory())}));
      spool.Reset();
      return Status::Ok();
    }
    // Large: skip the upload when the bytes are already here.
    AIRPG_ASSIGN_OR_RETURN(bool present, Has(conn, sha256));
    if (!present) AIRPG_RETURN_IF_ERROR(PutInPieces(conn, sha256, size, spool));
    spool.Reset();
    return Status::Ok();
  }

  Result<std::string> Read(pg::Connection& conn, const std::string& sha256) override {
    return ReadContentColumn(conn, sha256, chunk_bytes_);
  }

  std::string Describe() const override { return "postgres"; }

 private:
  Status PutInPieces(pg::Connection& conn, const std::string& sha256, const std::string& size,
                     Spool& spool) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(tx.Run(kCreatePieces));
    int seq = 0;
    AIRPG_RETURN_IF_ERROR(spool.ReadChunks(chunk_bytes_, [&](std::string_view piece) {
      return tx.Run(kInsertPiece, {std::to_string(seq++), ByteaLiteral(piece)});
    }));
    AIRPG_RETURN_IF_ERROR(tx.Run(kAssembleBlob, {sha256, size}));
    return tx.Commit();
  }

  const std::string spool_directory_;
  const size_t chunk_bytes_;
};

}  // namespace

std::unique_ptr<BlobStore> NewPostgresBlobStore(std::string spool_directory, size_t chunk_bytes) {
  return std::make_unique<PostgresBlobStore>(std::move(spool_directory), chunk_bytes);
}

}  // namespace airpg::blobs::internal
