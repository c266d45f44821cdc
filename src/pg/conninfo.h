// Connection strings: validation, rewriting the database of a URL, a
// printable (password-free) form, and the libpq environment variables that
// let a child program (psql) connect without a password on its command line.
// Pure (libpq's parser only) and thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::pg {

// OK when libpq can parse `conninfo` (URI or key/value); otherwise
// kInvalidArgument with libpq's reason, every value libpq quotes in it masked
// (it quotes the offending token, which may be the password).
Status ValidateConnInfo(std::string_view conninfo);

// Registers the password of `conninfo` for redaction (base/redact.h) without
// needing libpq to accept it: the URI's password and any password= value, as
// written and decoded, by RegisterPassword()'s rule (a short one is masked
// only where it stands as a password). The user name is not a secret. Call it before anything may
// print an error about the string (a password with a raw '%' makes libpq quote it back).
void RegisterConnInfoSecrets(std::string_view conninfo);

// The same connection with dbname replaced, as a key/value string.
Result<std::string> WithDatabase(std::string_view conninfo, std::string_view dbname);

// Key/value form with the password (if any) masked; safe to print and log.
Result<std::string> Printable(std::string_view conninfo);

// PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE… for every option set.
Result<std::map<std::string, std::string>> EnvironmentFor(std::string_view conninfo);

}  // namespace airpg::pg
