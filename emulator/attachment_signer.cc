#include "emulator/attachment_signer.h"

#include <cstdlib>

#include "airtable/webhook_mac.h"
#include "http/url.h"

namespace airpg::emulator {

std::string AttachmentSigner::Sign(const std::string& attachment_id, const std::string& filename,
                                   const std::string& expires) const {
  // ContentMac gives "hmac-sha256=<hex>"; the hex is the signature.
  return airtable::ContentMac(key_, attachment_id + "\n" + filename + "\n" + expires).substr(12);
}

std::string AttachmentSigner::Url(const std::string& base_url, const std::string& attachment_id,
                                  const std::string& filename, int64_t now_millis) const {
  std::string expires = std::to_string(now_millis + kLifetimeMillis);
  return base_url + "/__emulator/attachments/" + attachment_id + "/" +
         http::PercentEncode(filename) + "?expires=" + expires +
         "&sig=" + Sign(attachment_id, filename, expires);
}

AttachmentSigner::Check AttachmentSigner::Verify(const std::string& attachment_id,
                                                 const std::string& filename,
                                                 const std::string& expires,
                                                 const std::string& signature,
                                                 int64_t now_millis) const {
  std::string expected = Sign(attachment_id, filename, expires);
  // Constant-time comparison: the signature is a secret-derived value.
  unsigned char diff = expected.size() == signature.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size() && i < signature.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ signature[i]);
  }
  if (diff != 0) return Check::kBadSignature;
  if (now_millis >= std::atoll(expires.c_str())) return Check::kExpired;
  return Check::kValid;
}

std::string AttachmentPlaceholder(const std::string& attachment_id, const std::string& filename) {
  return "airtable-emulator attachment " + attachment_id + " (" + filename + ")\n";
}

}  // namespace airpg::emulator
