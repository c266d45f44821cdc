#include "blobs/signing_key.h"

#include <openssl/rand.h>

#include "base/hex.h"

namespace airpg::blobs {

Result<std::string> BlobSigningKey(pg::Connection& conn, const std::string& configured) {
  if (!configured.empty()) return configured;
  unsigned char drawn[32];
  // Without randomness every URL could be forged: nothing can run safely.
  if (RAND_bytes(drawn, sizeof(drawn)) != 1) {
    return InternalError("no random bytes for the blob signing key");
  }
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("WITH drawn AS (INSERT INTO airpg.blob_signing_key (key_hex) VALUES ($1) ON "
                "CONFLICT (only_row) DO NOTHING RETURNING key_hex) SELECT key_hex FROM drawn "
                "UNION ALL SELECT key_hex FROM airpg.blob_signing_key LIMIT 1",
                {HexLower(drawn, sizeof(drawn))}));
  if (rows.empty()) return InternalError("airpg.blob_signing_key has no key");
  return std::string(rows.Get(0, 0));
}

}  // namespace airpg::blobs
