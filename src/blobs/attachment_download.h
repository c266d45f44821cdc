// DownloadAttachment: streams the bytes behind an attachment's signed URL to
// a sink, hashing them as they pass. Attachment URLs are served by Airtable's
// content hosts, not its API: no token goes with them and Airtable's request
// limits do not pace them, so this sits with the store, not the API client.
// Thread-safe (each call has its own transfer).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "http/download.h"

namespace airpg::blobs {

struct DownloadedBytes {
  int64_t size = 0;
  std::string sha256;        // lower-case hex
  std::string content_type;  // what the content host said
};

// Errors: kNotFound when the URL expired or is gone (HTTP 403/410: read the
// record again for a fresh URL); kUnavailable for other failures, which a
// retry may cure; kResourceExhausted for a body over `max_bytes`;
// kInvalidArgument for a URL that is not http(s); the sink's own error.
Result<DownloadedBytes> DownloadAttachment(const std::string& url, const std::string& user_agent,
                                           const http::BodySink& sink, int64_t max_bytes);

}  // namespace airpg::blobs
