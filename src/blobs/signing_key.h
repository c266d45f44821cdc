// The key of the signed /blobs/ URLs (blob_links.h). Airtable may fetch a
// URL long after it was written (it is good for its ttl), so the key must
// outlive the process that signed it: it is the operator's
// (AIRPG_BLOB_SIGNING_KEY, passed in as `configured`) or, without one, drawn
// once (32 random bytes) and kept in airpg.blob_signing_key, which every
// airpg process of the database then shares. Never logged. Functions over
// the caller's connection; single-thread per connection.
#pragma once

#include <string>

#include "base/result.h"
#include "pg/connection.h"

namespace airpg::blobs {

// `configured` when not empty; else the catalog's key, drawn and stored the
// first time (two processes drawing at once agree on the one stored first).
// REQUIRES: the catalog is current (pg::EnsureCatalog).
Result<std::string> BlobSigningKey(pg::Connection& conn, const std::string& configured);

}  // namespace airpg::blobs
