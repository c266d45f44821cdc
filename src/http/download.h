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

// GETs `url` (following up to 3 redirects), streaming a 2xx body to `sink`.
// A non-2xx answer is returned in DownloadInfo with nothing sent to the sink.
// Transport failures are kUnavailable; a body over `max_bytes` is
// kResourceExhausted.
Result<DownloadInfo> Download(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const BodySink& sink, int64_t max_bytes);

}  // namespace airpg::http
