#include "airtable/wire/api_path.h"

#include "http/url.h"

namespace airpg::airtable::wire {
namespace {

// The longest path of each API, counted with "v0" (API.md §2, §3, §6):
// /v0/{base}/{record}/{field}/uploadAttachment, /v0/meta/bases/{base}/tables/
// {table}/fields/{field}, /v0/bases/{base}/webhooks/{hook}/{action}.
constexpr size_t kMaxRecordSegments = 5;
constexpr size_t kMaxMetaSegments = 8;
constexpr size_t kMaxWebhookSegments = 6;
// Airtable ids are 17 characters and names are short; a segment past this is
// no route (and bounds what a proxy forwards).
constexpr size_t kMaxSegmentBytes = 1024;

// A decoded segment may hold `/` or `\` (a table named "A/B" is sent as
// A%2FB): Encoded() encodes them again, and no client squashes an encoded
// slash. Only a whole `.` or `..` segment can climb.
bool Refused(const std::string& segment) {
  return segment.empty() || segment == "." || segment == ".." || segment.size() > kMaxSegmentBytes;
}

}  // namespace

std::string ApiPath::Encoded() const {
  std::string out;
  for (const std::string& segment : segments) out += "/" + http::PercentEncode(segment);
  return out;
}

ApiResult<ApiPath> ParseApiPath(std::string_view encoded_path) {
  if (encoded_path.empty() || encoded_path.front() != '/') return RouteNotFound();
  std::string_view rest = encoded_path.substr(1);
  // One trailing slash is what some clients add; any other empty segment
  // is no route.
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ApiPath path;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    path.segments.push_back(http::PercentDecode(rest.substr(start, end - start), false));
    if (Refused(path.segments.back())) return RouteNotFound();
    if (path.segments.size() > kMaxMetaSegments) return RouteNotFound();
    start = end + 1;
  }
  const std::vector<std::string>& s = path.segments;
  if (s.size() < 2 || s[0] != "v0") return RouteNotFound();
  size_t max = kMaxRecordSegments;
  if (s[1] == "meta") {
    path.api = ApiPath::Api::kMeta;
    max = kMaxMetaSegments;
    if (s.size() >= 4 && s[2] == "bases") path.base_id = s[3];
  } else if (s[1] == "bases") {
    path.api = ApiPath::Api::kWebhooks;
    max = kMaxWebhookSegments;
    if (s.size() >= 3) path.base_id = s[2];
  } else {
    path.base_id = s[1];
  }
  if (s.size() > max) return RouteNotFound();
  return path;
}

}  // namespace airpg::airtable::wire
