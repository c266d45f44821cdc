#include "http/download.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>

#include <fmt/core.h>

#include "base/redact.h"

namespace airpg::http {
namespace {

struct Transfer {
  CURL* curl;
  const BodySink* sink;
  int64_t max_bytes;
  int64_t bytes = 0;
  Status failure;  // why the write callback stopped the transfer
};

size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) return n;  // an error page: not the attachment
  t->bytes += static_cast<int64_t>(n);
  if (t->bytes > t->max_bytes) {
    t->failure =
        ResourceExhaustedError(fmt::format("download is larger than {} bytes", t->max_bytes));
    return 0;
  }
  t->failure = (*t->sink)(std::string_view(data, n));
  return t->failure.ok() ? n : 0;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

bool IsHttpUrl(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

}  // namespace

Result<DownloadInfo> Download(const std::string& url,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const BodySink& sink, int64_t max_bytes) {
  if (!IsHttpUrl(url)) {
    return InvalidArgumentError(
        fmt::format("download {}: only http and https URLs are fetched", RedactUrl(url)));
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return InternalError("curl_easy_init failed");
  Transfer transfer{curl.get(), &sink, max_bytes};
  curl_slist* raw_list = nullptr;
  for (const auto& [name, value] : headers)
    raw_list = curl_slist_append(raw_list, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, ListDeleter> list(raw_list);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, static_cast<long>(kMaxRedirects));
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // Refused up front when the server announces a larger body; the write
  // callback enforces the cap for bodies of unannounced length (chunked).
  curl_easy_setopt(curl.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // No overall timeout (files may be large); give up on a stalled transfer instead.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
  CURLcode code = curl_easy_perform(curl.get());
  if (!transfer.failure.ok()) return transfer.failure;
  if (code != CURLE_OK) {
    std::string what = fmt::format("download {}: {}", RedactUrl(url), curl_easy_strerror(code));
    switch (code) {
      case CURLE_UNSUPPORTED_PROTOCOL:
        return InvalidArgumentError(what + " (only http and https are fetched)");
      case CURLE_TOO_MANY_REDIRECTS:
        return InvalidArgumentError(what + fmt::format(" (more than {})", kMaxRedirects));
      case CURLE_FILESIZE_EXCEEDED:
        return ResourceExhaustedError(
            fmt::format("download is larger than {} bytes (announced)", max_bytes));
      default:
        return UnavailableError(what);
    }
  }
  DownloadInfo info;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  info.status = static_cast<int>(status);
  char* type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) info.content_type = type;
  info.bytes = transfer.bytes;
  return info;
}

}  // namespace airpg::http
