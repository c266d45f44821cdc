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

// RegisterSecret() for `secret` as written and percent-decoded (leniently: a
// raw '%' stays as it is, since that is how libpq quotes it back in errors).
void RegisterPercentEncodedSecret(std::string_view secret);

// Passwords shorter than this are masked only where the text's structure
// says they are a password (a URI's user info, `password=…`; see Redact()),
// never as a bare word: a short password such as "airpg" or "test" would
// otherwise mask that word in every message airpg prints ("run `*** migrate`").
inline constexpr size_t kMinBarePasswordLength = 8;

// A database password (from DATABASE_URL or PGPASSWORD): RegisterSecret() for
// it as written and percent-decoded when it is at least
// kMinBarePasswordLength long; a shorter one is left to Redact()'s
// structural rules.
void RegisterPassword(std::string_view password);

// RegisterPassword() for the password of a URL's user info, if it has one.
// The user name is not a secret: a role name such as "airpg" stays readable.
void RegisterUrlPassword(std::string_view url);

// Registers what a URL hides in its user info: the whole user info and its
// password, each as written and percent-decoded. With
// `query_values`, also the value of every query parameter (an endpoint's
// query may carry a key; a libpq URI's query holds ordinary settings).
void RegisterUrlSecrets(std::string_view url, bool query_values);

// (An endpoint's user info alone may be a token, so it is registered whole.)

// `url` safe to print: its user info, the values of its query parameters and
// its fragment masked (`https://***@host/v0?key=***`), then Redact()ed.
std::string RedactUrl(std::string_view url);

// Returns `text` with every secret masked:
//  - values given to RegisterSecret();
//  - the password of a URI's user info (`postgresql://u:PASSWORD@host`);
//  - `password=VALUE` in libpq key/value strings and URI query strings;
//  - the credential after `Bearer `;
//  - anything shaped like an Airtable personal access token (`pat…….…`).
std::string Redact(std::string_view text);

}  // namespace airpg
