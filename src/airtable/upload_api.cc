// The upload endpoint of Client (API.md §2.9): one file appended to an
// attachment cell, its bytes in the JSON body, on Airtable's content host.
#include <fmt/core.h>

#include "airtable/client.h"
#include "airtable/webhook_mac.h"
#include "base/json_escape.h"

namespace airpg::airtable {

std::string Client::ContentUrl() const {
  if (!options_.content_url.empty()) return options_.content_url;
  if (options_.endpoint_url.find("://api.airtable.com") != std::string::npos) {
    return "https://content.airtable.com";
  }
  return options_.endpoint_url;
}

Result<Record> Client::UploadAttachment(std::string_view base_id, std::string_view record_id,
                                        std::string_view field_id, std::string_view content_type,
                                        std::string_view filename, std::string_view bytes,
                                        ApiError* api_error) {
  std::string path = fmt::format("/v0/{}/{}/{}/uploadAttachment", http::PercentEncode(base_id),
                                 http::PercentEncode(record_id), http::PercentEncode(field_id));
  std::string body =
      fmt::format("{{\"contentType\":\"{}\",\"file\":\"{}\",\"filename\":\"{}\"}}",
                  JsonEscape(content_type.empty() ? "application/octet-stream" : content_type),
                  Base64Encode(bytes), JsonEscape(filename));
  // An upload sent twice appends the file twice: only a 429 or 503 (Airtable
  // did nothing) is sent again here; the caller reconciles unknown outcomes.
  AIRPG_ASSIGN_OR_RETURN(std::string answer,
                         CallHost(ContentUrl(), base_id, Priority::kWrite, Retry::kIfNotApplied,
                                  "POST", path, std::move(body), api_error));
  return ParseRecord(answer);
}

}  // namespace airpg::airtable
