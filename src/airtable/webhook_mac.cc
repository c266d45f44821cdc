#include "airtable/webhook_mac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "base/hex.h"

namespace airpg::airtable {
namespace {

constexpr std::string_view kMacPrefix = "hmac-sha256=";
constexpr size_t kDigestBytes = 32;  // SHA-256

bool IsBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// HMAC-SHA256 of `body` under `key`; false only if OpenSSL fails.
bool Hmac(std::string_view key, std::string_view body, unsigned char (&digest)[kDigestBytes]) {
  unsigned int length = 0;
  const unsigned char* out =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  return out != nullptr && length == kDigestBytes;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Base64Decode(std::string_view text, std::string* bytes) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return false;
  // Padding: at most two '=', and only at the very end.
  size_t padding = 0;
  while (padding < 2 && padding < clean.size() && clean[clean.size() - 1 - padding] == '=') {
    ++padding;
  }
  for (size_t i = 0; i + padding < clean.size(); ++i) {
    if (!IsBase64Char(clean[i])) return false;
  }
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  out.resize(static_cast<size_t>(n) - padding);
  *bytes = std::move(out);
  return true;
}

std::string ContentMac(std::string_view key, std::string_view body) {
  unsigned char digest[kDigestBytes] = {};
  Hmac(key, body, digest);
  return std::string(kMacPrefix) + HexLower(digest, kDigestBytes);
}

bool VerifyContentMac(std::string_view mac_secret_base64, std::string_view body,
                      std::string_view header_value) {
  if (header_value.substr(0, kMacPrefix.size()) != kMacPrefix) return false;
  std::string_view hex = header_value.substr(kMacPrefix.size());
  if (hex.size() != 2 * kDigestBytes) return false;
  unsigned char claimed[kDigestBytes];
  for (size_t i = 0; i < kDigestBytes; ++i) {
    int high = HexDigitValue(hex[2 * i]);
    int low = HexDigitValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    claimed[i] = static_cast<unsigned char>(high << 4 | low);
  }
  std::string key;
  if (!Base64Decode(mac_secret_base64, &key) || key.empty()) return false;
  unsigned char expected[kDigestBytes];
  if (!Hmac(key, body, expected)) return false;
  return CRYPTO_memcmp(claimed, expected, kDigestBytes) == 0;
}

}  // namespace airpg::airtable
