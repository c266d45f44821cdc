// The catalog's SQL migrations, embedded from src/pg/sql/catalog_v*.sql at
// build time. Element i is the script that takes the catalog to version i+1.
#pragma once

#include <string_view>
#include <vector>

namespace airpg::pg {

const std::vector<std::string_view>& CatalogMigrations();

}  // namespace airpg::pg
