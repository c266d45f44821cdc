// BlobStore: the content-addressed store of attachment bytes, keyed by
// SHA-256 (lower-case hex) and deduplicated: the same bytes under any number
// of attachments are stored once. Two kinds, chosen by configuration:
//   - Postgres (default): the bytes in airpg.blobs.content;
//   - a directory: the file <dir>/<sha[0:2]>/<sha>, with an airpg.blobs row
//     whose content is NULL, so airpg.attachments' foreign key holds.
// The migrate loader downloads every attachment into a Spool from NewSpool()
// and Puts it (attachment_fetcher.h); verify reads blobs back.
// Thread-safe: the store keeps no mutable state; each thread passes its own
// pg::Connection.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "blobs/spool.h"
#include "pg/connection.h"

namespace airpg::blobs {

struct BlobStoreOptions {
  // Where the files go; "" keeps the bytes in Postgres.
  std::string directory;
  // Postgres kind: where downloads larger than chunk_bytes are spooled;
  // "" is the system's temporary directory. (The directory kind spools
  // inside its own directory, so a finished file is renamed, never copied.)
  std::string spool_directory;
  // Postgres kind: downloads up to this size are spooled in memory and sent
  // in one statement; larger ones go in pieces of this size, so neither side
  // of the connection holds a large file twice. Also the piece size of Read.
  size_t chunk_bytes = size_t{4} << 20;
};

class BlobStore {
 public:
  // Creates the directory (and its spool directory) when needed.
  // kInvalidArgument for a directory that cannot be used.
  static Result<std::unique_ptr<BlobStore>> Open(BlobStoreOptions options);

  virtual ~BlobStore() = default;

  // True when the blob's bytes can be read from this store: a row with
  // content, or (directory kind) a row and its file of the recorded size.
  // A row whose bytes are not here makes Has false, so they are fetched again.
  virtual Result<bool> Has(pg::Connection& conn, const std::string& sha256) = 0;

  // An empty spool for one download, in the place this store wants it.
  virtual Spool NewSpool() = 0;

  // Stores the spool's content as blob `sha256` and empties the spool.
  // Idempotent: when the blob is already present nothing new is written.
  // REQUIRES: sha256 is the SHA-256 of the content (the download computed
  // it as the bytes arrived); no transaction is open on `conn` (Put commits
  // its own, so the blob is durable when Put returns OK).
  virtual Status Put(pg::Connection& conn, const std::string& sha256, Spool& spool) = 0;

  // Put for bytes already in memory (tests, small uploads).
  Status PutBytes(pg::Connection& conn, const std::string& sha256, std::string_view bytes);

  // The whole content, for verify and tests; kNotFound when absent.
  virtual Result<std::string> Read(pg::Connection& conn, const std::string& sha256) = 0;

  // "postgres" or the directory.
  virtual std::string Describe() const = 0;
};

// Whether `text` is a SHA-256 as the store keys it: 64 lower-case hex digits.
bool IsSha256Hex(std::string_view text);

}  // namespace airpg::blobs
