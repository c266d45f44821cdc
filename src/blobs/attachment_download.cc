#include "blobs/attachment_download.h"

#include <openssl/evp.h>

#include <memory>

#include <fmt/core.h>

namespace airpg::blobs {

Result<DownloadedBytes> DownloadAttachment(const std::string& url, const std::string& user_agent,
                                           const http::BodySink& sink, int64_t max_bytes) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!hash || EVP_DigestInit_ex(hash.get(), EVP_sha256(), nullptr) != 1) {
    return InternalError("cannot start SHA-256");
  }
  auto hashing_sink = [&](std::string_view piece) -> Status {
    EVP_DigestUpdate(hash.get(), piece.data(), piece.size());
    return sink(piece);
  };
  AIRPG_ASSIGN_OR_RETURN(http::DownloadInfo info, http::Download(url, {{"User-Agent", user_agent}},
                                                                 hashing_sink, max_bytes));
  if (info.status < 200 || info.status > 299) {
    // Airtable answers an expired signature with 403 or 410.
    Status status = info.status == 403 || info.status == 410
                        ? NotFoundError("attachment URL expired or gone")
                        : UnavailableError("attachment download failed");
    return status.WithContext(fmt::format("HTTP {}", info.status));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(hash.get(), digest, &length);
  DownloadedBytes out{info.bytes, "", info.content_type};
  for (unsigned int i = 0; i < length; ++i) out.sha256 += fmt::format("{:02x}", digest[i]);
  return out;
}

}  // namespace airpg::blobs
