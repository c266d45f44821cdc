// BlobLinks: signed, expiring URLs of stored blobs, for the one case where
// someone outside must fetch airpg's bytes: an attachment added in Postgres
// that is too large for Airtable's uploadAttachment (5 MB) is written to
// Airtable as {"url": …}, and Airtable downloads it from there
// (sync/outbox_attachments.h). The route is GET /blobs/<sha256>?expires=…&sig=…
// on the sync's endpoints; the signature is an HMAC-SHA256 of the sha256 and
// the expiry under the key of signing_key.h, kept beyond the process, so a
// URL is good until it expires, across restarts. Airtable must be able to
// reach the base URL (docs/architecture.md, outbound sync).
// Thread-safe: immutable after construction.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "http/message.h"

namespace airpg::blobs {

class BlobLinks {
 public:
  // `base_url` is where the route is reachable ("http://127.0.0.1:8089"), no
  // trailing slash ("" when only Path is used). A fresh random key is drawn.
  // `clock` must outlive this.
  BlobLinks(std::string base_url, Clock& clock, std::chrono::seconds ttl = std::chrono::hours(2));
  // The same under `key` (BlobSigningKey): URLs signed by another BlobLinks
  // of the same key — an earlier process — are served too.
  BlobLinks(std::string base_url, std::string key, Clock& clock,
            std::chrono::seconds ttl = std::chrono::hours(2));

  // The URL of blob `sha256`, valid for the ttl from now.
  std::string Url(const std::string& sha256) const { return base_url_ + Path(sha256); }
  // The same without the base URL (the caller knows it only later, e.g. a
  // server on a port chosen at start): /blobs/<sha256>?expires=…&sig=….
  std::string Path(const std::string& sha256) const;

  // Answers GET /blobs/<sha256>?expires=…&sig=…: 200 with the bytes, 403 for a
  // bad signature, 410 once expired, 404 for an unknown blob. `read` reads
  // the blob's bytes (kNotFound when absent).
  http::Response Serve(const http::Request& request,
                       const std::function<Result<std::string>(const std::string&)>& read) const;

  // The path prefix of the route.
  static constexpr std::string_view kPathPrefix = "/blobs/";

 private:
  std::string Sign(const std::string& sha256, int64_t expires) const;
  int64_t NowSeconds() const;

  std::string base_url_;
  Clock& clock_;
  std::chrono::seconds ttl_;
  std::string key_;
};

}  // namespace airpg::blobs
