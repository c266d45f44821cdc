// Webhook signing (API.md §6.6): HMAC-SHA256 of the raw ping body keyed with
// the base64-decoded secret, as "hmac-sha256=<lowercase hex>", and the base64
// helpers around the secret. OpenSSL stays inside mac.cc. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace airpg::emulator {

std::string Base64Encode(std::string_view bytes);
// Decodes standard base64, ignoring whitespace (MIME line breaks); false on bad input.
bool Base64Decode(std::string_view text, std::string* bytes);

// "hmac-sha256=" + hex(HMAC-SHA256(key, body)); `key` is raw bytes.
std::string ContentMac(std::string_view key, std::string_view body);

}  // namespace airpg::emulator
