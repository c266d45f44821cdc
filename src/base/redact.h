// Redaction: the one place that turns text that may hold a secret into text
// that may be logged or printed. Logging runs every line through Redact(), and
// error messages that quote a URL or header are redacted where they are built.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg {

// The mask that replaces a secret.
inline constexpr std::string_view kRedacted = "***";

// Remembers `secret` (a token or password read from the environment or config)
// so that Redact() masks it wherever it appears. Values shorter than 4
// characters are ignored: masking them would mangle ordinary text.
void RegisterSecret(std::string_view secret);

// Returns `text` with every secret masked:
//  - values given to RegisterSecret();
//  - the password of a URI's user info (`postgresql://u:PASSWORD@host`);
//  - `password=VALUE` in libpq key/value strings and URI query strings;
//  - the credential after `Bearer `;
//  - anything shaped like an Airtable personal access token (`pat…….…`).
std::string Redact(std::string_view text);

}  // namespace airpg
