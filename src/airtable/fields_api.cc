// The create-field endpoint of Client (API.md §5.1): airpg adds its hidden
// `airpg key` field to the tables Postgres writes (docs/two-way-sync.md).
#include <fmt/core.h>

#include "airtable/client.h"
#include "airtable/dom.h"

namespace airpg::airtable {

Result<std::string> Client::CreateField(std::string_view base_id, std::string_view table_id,
                                        std::string_view field_json) {
  std::string path = fmt::format("/v0/meta/bases/{}/tables/{}/fields", http::PercentEncode(base_id),
                                 http::PercentEncode(table_id));
  // Not retried after a 5xx: a second field of the same name is refused, so
  // the caller lists the schema again instead.
  AIRPG_ASSIGN_OR_RETURN(std::string response, Call(base_id, Priority::kWrite, Retry::kIfNotApplied,
                                                    "POST", path, std::string(field_json)));
  AIRPG_ASSIGN_OR_RETURN(dom::element field, dom::Parse(response, "field"));
  std::string id = dom::String(field, "id");
  if (id.empty()) return dom::Malformed("field", "the created field has no id");
  return id;
}

}  // namespace airpg::airtable
