#include "api/keyset_token.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "airtable/webhook_mac.h"
#include "base/hex.h"

namespace airpg::api {

std::string EncodeKeysetToken(const KeysetToken& token) {
  nlohmann::json values = nlohmann::json::array();
  for (const auto& v : token.sort_values) values.push_back(v ? nlohmann::json(*v) : nullptr);
  nlohmann::json body = {
      {"v", values}, {"i", token.row_id}, {"r", token.remaining}, {"f", token.fingerprint}};
  return "pg" + airtable::Base64Encode(body.dump());
}

std::optional<KeysetToken> DecodeKeysetToken(const std::string& text) {
  std::string bytes;
  if (text.rfind("pg", 0) != 0 || !airtable::Base64Decode(text.substr(2), &bytes)) {
    return std::nullopt;
  }
  nlohmann::json body = nlohmann::json::parse(bytes, nullptr, false);
  if (!body.is_object() || !body["v"].is_array() || !body["i"].is_number_integer() ||
      !body["r"].is_number_integer() || !body["f"].is_string()) {
    return std::nullopt;
  }
  KeysetToken token;
  for (const auto& v : body["v"]) {
    if (v.is_null()) {
      token.sort_values.emplace_back();
    } else if (v.is_string()) {
      token.sort_values.emplace_back(v.get<std::string>());
    } else {
      return std::nullopt;
    }
  }
  token.row_id = body["i"].get<int64_t>();
  token.remaining = body["r"].get<int64_t>();
  token.fingerprint = body["f"].get<std::string>();
  return token;
}

std::string QueryFingerprint(const std::vector<std::string>& parts) {
  std::string joined;
  for (const std::string& part : parts) {
    joined += std::to_string(part.size()) + ":" + part;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  return HexLower(digest, 8);  // the first 8 bytes are enough to tell queries apart
}

}  // namespace airpg::api
