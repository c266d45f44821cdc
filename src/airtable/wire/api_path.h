// ApiPath: the one parser of Airtable API paths (/v0/…) for both servers of
// the wire format, the emulator and `airpg serve`. It decides which API a
// path belongs to (records, Meta API, webhooks), which base it is about, and
// refuses what Airtable has no route for: `.`/`..` segments (also
// percent-encoded), empty segments, and paths longer than the API's. A proxy sends Encoded(), built
// from the checked segments, so no path can climb out of the base it was authorised for (an HTTP
// client squashes `..` before sending). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "airtable/wire/api_error.h"

namespace airpg::airtable::wire {

struct ApiPath {
  enum class Api {
    kRecords,   // /v0/{base}/{table}[/{record}|/listRecords], uploadAttachment
    kMeta,      // /v0/meta/whoami, /v0/meta/bases[/{base}/tables/…]
    kWebhooks,  // /v0/bases/{base}/webhooks[/…]
  };
  Api api = Api::kRecords;
  std::vector<std::string> segments;  // decoded, starting with "v0"
  std::string base_id;                // "" when the path names no base (meta/bases, whoami)

  // The path re-encoded from the checked segments ("/v0/app…/tbl…").
  std::string Encoded() const;
};

// Parses the path part of a request target (no query). A path that is not an
// Airtable route gives RouteNotFound (404 {"error":"NOT_FOUND"}), as Airtable
// answers an unknown path.
ApiResult<ApiPath> ParseApiPath(std::string_view encoded_path);

}  // namespace airpg::airtable::wire
