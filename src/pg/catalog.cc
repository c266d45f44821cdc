#include "pg/catalog.h"

#include <fmt/core.h>

#include <charconv>
#include <string>

#include "pg/catalog_sql.h"
#include "pg/transaction.h"

namespace airpg::pg {
namespace {

// Any fixed number, shared by every airpg process: "airpg" in ASCII.
constexpr const char* kCatalogLockKey = "418313307495";

Result<int> InstalledVersion(Transaction& tx) {
  AIRPG_ASSIGN_OR_RETURN(Rows exists,
                         tx.Exec("SELECT to_regclass('airpg.catalog_versions') IS NOT NULL"));
  if (exists.Get(0, 0) != "t") return 0;
  AIRPG_ASSIGN_OR_RETURN(Rows rows,
                         tx.Exec("SELECT coalesce(max(version), 0) FROM airpg.catalog_versions"));
  int version = 0;
  std::string_view text = rows.Get(0, 0);
  std::from_chars(text.data(), text.data() + text.size(), version);
  return version;
}

}  // namespace

int CatalogVersion() { return static_cast<int>(CatalogMigrations().size()); }

Status EnsureCatalog(Connection& conn) {
  const auto& migrations = CatalogMigrations();
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn));
    AIRPG_RETURN_IF_ERROR(tx.Run("SELECT pg_advisory_xact_lock($1::bigint)", {kCatalogLockKey}));
    AIRPG_ASSIGN_OR_RETURN(int version, InstalledVersion(tx));
    if (version > CatalogVersion()) {
      return FailedPreconditionError(fmt::format(
          "the airpg catalog in this database is version {}, newer than this airpg ({}); "
          "upgrade airpg",
          version, CatalogVersion()));
    }
    if (version == CatalogVersion()) return tx.Commit();
    AIRPG_RETURN_IF_ERROR(tx.connection().RunScript(migrations[version]));
    AIRPG_RETURN_IF_ERROR(tx.Run("INSERT INTO airpg.catalog_versions (version) VALUES ($1::int)",
                                 {std::to_string(version + 1)}));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
  }
}

}  // namespace airpg::pg
