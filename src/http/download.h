// Download: a GET whose body is handed to a sink piece by piece instead of
// being held in memory, for attachments of any size. libcurl stays inside
// src/http/. Thread-safe (each call uses its own handle).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace airpg::http {

struct DownloadInfo {
  int status = 0;
  std::string content_type;
  int64_t bytes = 0;  // bytes handed to the sink
};

// Receives the body in pieces; a non-OK Status stops the transfer and is returned.
using BodySink = std::function<Status(std::string_view piece)>;

// Airtable's largest attachment (5 GB per file in its UI): a sensible cap
// when nothing else is configured.
inline constexpr int64_t kDefaultMaxDownloadBytes = int64_t{5} << 30;

// Redirects followed at most; one more is an error.
inline constexpr int kMaxRedirects = 3;

// GETs `url`, streaming a 2xx body to `sink`. Only http and https are
// fetched, for the URL and every redirect (up to kMaxRedirects): a signed
// attachment URL must never make airpg read a file:// or talk to another
// protocol. A non-2xx answer is returned in DownloadInfo with nothing sent to
// the sink. Errors: kInvalidArgument for another scheme or too many
// redirects (retrying cannot help); kResourceExhausted for a body over
// `max_bytes` (refused before any byte when the server announces its length);
// kUnavailable for transport failures. Error texts never show the URL's user
// info or query (a signed URL's signature).
Result<DownloadInfo> Download(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const BodySink& sink, int64_t max_bytes);

}  // namespace airpg::http
