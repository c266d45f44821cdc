// Webhook MACs (API.md §6.6): Airtable signs every notification ping with
// HMAC-SHA256 over the raw body, keyed with the base64-decoded secret it
// returned when the hook was created, and sends it as
// `X-Airtable-Content-MAC: hmac-sha256=<lowercase hex>`. The receiver checks
// it with VerifyContentMac; the emulator signs its pings with ContentMac.
// OpenSSL stays inside webhook_mac.cc. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg::airtable {

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);

// Decodes standard base64 (padding required), ignoring whitespace such as MIME
// line breaks. False on any other character, bad length or misplaced padding;
// `*bytes` is left alone then.
bool Base64Decode(std::string_view text, std::string* bytes);

// "hmac-sha256=" + lowercase hex of HMAC-SHA256(key, body); `key` is raw bytes.
std::string ContentMac(std::string_view key, std::string_view body);

// Whether `header_value` is "hmac-sha256=<64 hex digits>" and the digest is
// HMAC-SHA256(base64-decode(mac_secret_base64), body). The digests are
// compared in constant time. False for a secret that is not base64 or decodes
// to nothing, a header without the exact prefix, or a digest of the wrong
// length or with non-hex characters (upper-case hex is accepted).
bool VerifyContentMac(std::string_view mac_secret_base64, std::string_view body,
                      std::string_view header_value);

}  // namespace airpg::airtable
