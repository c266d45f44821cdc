// airpg.users: the collaborators every base's cells point at (usr…/ugp…).
// Both the migrate loader and the sync meet collaborators in cells and keep
// this table current through the one upsert here. Single-thread per Connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "pg/connection.h"

namespace airpg::pg {

struct UserRow {
  std::string user_id;
  std::optional<std::string> email;
  std::optional<std::string> name;
};

// Inserts the users not known yet and refreshes the email and name of the
// others (a missing email or name keeps the stored one). One statement.
Status UpsertUsers(Connection& conn, const std::vector<UserRow>& users);

}  // namespace airpg::pg
