// The two kinds of BlobStore and what they share; included by blob_store.cc,
// postgres_blob_store.cc and directory_blob_store.cc only.
// Thread-safe, like BlobStore.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "blobs/blob_store.h"
#include "pg/connection.h"

namespace airpg::blobs::internal {

// Spools go to `spool_directory` (must exist); see BlobStoreOptions.
std::unique_ptr<BlobStore> NewPostgresBlobStore(std::string spool_directory, size_t chunk_bytes);

// Files go to `directory`/<sha[0:2]>/<sha>; spools to `directory`/.spool
// (both must exist), on the same file system so a rename moves them.
std::unique_ptr<BlobStore> NewDirectoryBlobStore(std::string directory, size_t chunk_bytes);

// Lower-case hex of `bytes`, with the "\x" prefix of bytea's text form, so
// bytes travel as a text parameter cast with $n::bytea.
std::string ByteaLiteral(std::string_view bytes);

// Appends the bytes of a bytea in hex text form ("\x…", bytea_output =
// hex, the default since Postgres 9.0). kInternal for anything else.
Status AppendByteaText(std::string_view text, std::string* out);

// Reads airpg.blobs.content in pieces of `chunk_bytes` (so no value larger
// than a piece crosses the connection in hex). kNotFound when there is no
// row or its content is NULL.
Result<std::string> ReadContentColumn(pg::Connection& conn, const std::string& sha256,
                                      size_t chunk_bytes);

}  // namespace airpg::blobs::internal
