#include "pg/catalog_users.h"

#include "pg/quote.h"

namespace airpg::pg {

Status UpsertUsers(Connection& conn, const std::vector<UserRow>& users) {
  if (users.empty()) return Status::Ok();
  std::vector<std::optional<std::string>> ids, emails, names;
  for (const UserRow& u : users) {
    ids.push_back(u.user_id);
    emails.push_back(u.email);
    names.push_back(u.name);
  }
  // DISTINCT ON: a user met twice in one call is upserted once.
  return conn.Run(
      "INSERT INTO airpg.users (user_id, email, name) "
      "SELECT DISTINCT ON (i) i, e, n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, e, "
      "n) "
      "ORDER BY i "
      "ON CONFLICT (user_id) DO UPDATE SET email = coalesce(EXCLUDED.email, users.email), "
      "name = coalesce(EXCLUDED.name, users.name), updated_at = now()",
      {ArrayLiteral(ids), ArrayLiteral(emails), ArrayLiteral(names)});
}

}  // namespace airpg::pg
