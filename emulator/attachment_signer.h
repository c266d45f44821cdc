// AttachmentSigner: the expiring signed URLs attachments are served from,
// like Airtable's airtableusercontent.com URLs that expire after about two
// hours (API.md §5.3): /__emulator/attachments/{att}/{filename}?expires=MS&sig=HEX,
// with an HMAC over id, filename and expiry under a per-process key.
// Thread-safe after construction (immutable).
#pragma once

#include <cstdint>
#include <string>

namespace airpg::emulator {

class AttachmentSigner {
 public:
  static constexpr int64_t kLifetimeMillis = 2LL * 3600 * 1000;

  explicit AttachmentSigner(std::string key) : key_(std::move(key)) {}

  // The URL under `base_url` ("http://127.0.0.1:PORT") valid until now + 2 h.
  std::string Url(const std::string& base_url, const std::string& attachment_id,
                  const std::string& filename, int64_t now_millis) const;

  enum class Check { kValid, kExpired, kBadSignature };
  Check Verify(const std::string& attachment_id, const std::string& filename,
               const std::string& expires, const std::string& signature, int64_t now_millis) const;

 private:
  std::string Sign(const std::string& attachment_id, const std::string& filename,
                   const std::string& expires) const;
  std::string key_;
};

// The bytes served for an attachment without emulator-only "content": a
// short deterministic text naming it (the emulator never fetches URLs).
std::string AttachmentPlaceholder(const std::string& attachment_id, const std::string& filename);

}  // namespace airpg::emulator
