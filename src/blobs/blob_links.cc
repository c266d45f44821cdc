#include "blobs/blob_links.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "base/hex.h"
#include "blobs/blob_store.h"
#include "http/url.h"

namespace airpg::blobs {
namespace {

http::Response Text(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

}  // namespace

BlobLinks::BlobLinks(std::string base_url, Clock& clock, std::chrono::seconds ttl)
    : base_url_(std::move(base_url)), clock_(clock), ttl_(ttl) {
  unsigned char key[32];
  // Without randomness every URL could be forged: nothing can run safely.
  if (RAND_bytes(key, sizeof(key)) != 1) throw std::runtime_error("no random bytes for BlobLinks");
  key_.assign(reinterpret_cast<const char*>(key), sizeof(key));
}

BlobLinks::BlobLinks(std::string base_url, std::string key, Clock& clock, std::chrono::seconds ttl)
    : base_url_(std::move(base_url)), clock_(clock), ttl_(ttl), key_(std::move(key)) {}

int64_t BlobLinks::NowSeconds() const {
  // The process's own clock: the URL is checked by the process that made it.
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
}

std::string BlobLinks::Sign(const std::string& sha256, int64_t expires) const {
  std::string message = sha256 + ":" + std::to_string(expires);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return HexLower(mac, length);
}

std::string BlobLinks::Path(const std::string& sha256) const {
  int64_t expires = NowSeconds() + ttl_.count();
  return std::string(kPathPrefix) + sha256 + "?expires=" + std::to_string(expires) +
         "&sig=" + Sign(sha256, expires);
}

http::Response BlobLinks::Serve(
    const http::Request& request,
    const std::function<Result<std::string>(const std::string&)>& read) const {
  if (request.method != "GET" && request.method != "HEAD") return Text(405, "GET only\n");
  auto [path, query] = http::SplitTarget(request.target);
  if (path.substr(0, kPathPrefix.size()) != kPathPrefix) return Text(404, "not found\n");
  std::string sha256(path.substr(kPathPrefix.size()));
  if (!IsSha256Hex(sha256)) return Text(404, "not found\n");
  std::string expires_text, sig;
  for (const auto& [key, value] : http::ParseQuery(query)) {
    if (key == "expires") expires_text = value;
    if (key == "sig") sig = value;
  }
  int64_t expires = 0;
  try {
    expires = std::stoll(expires_text);
  } catch (const std::exception&) {
    return Text(403, "bad signature\n");
  }
  std::string expected = Sign(sha256, expires);
  if (sig.size() != expected.size() ||
      CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) != 0) {
    return Text(403, "bad signature\n");
  }
  if (NowSeconds() >= expires) return Text(410, "expired\n");
  Result<std::string> bytes = read(sha256);
  if (!bytes.ok()) {
    return bytes.status().code() == StatusCode::kNotFound ? Text(404, "not found\n")
                                                          : Text(503, "unavailable\n");
  }
  http::Response r;
  r.content_type = "application/octet-stream";
  if (request.method == "GET") r.body = std::move(bytes).value();
  return r;
}

}  // namespace airpg::blobs
