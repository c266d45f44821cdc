#include "airtable/bases_api.h"

#include <simdjson.h>

#include <utility>

#include <fmt/core.h>

#include "http/url.h"

namespace airpg::airtable {

Result<std::vector<BaseInfo>> ListBases(Client& client, Priority priority) {
  std::vector<BaseInfo> bases;
  std::string offset;
  do {
    std::string path = "/v0/meta/bases";
    if (!offset.empty()) path += "?offset=" + http::PercentEncode(offset);
    AIRPG_ASSIGN_OR_RETURN(std::string body,
                           client.Call("", priority, Client::Retry::kAlways, "GET", path));
    AIRPG_ASSIGN_OR_RETURN(BaseList page, ParseBaseList(body));
    for (BaseInfo& info : page.bases) bases.push_back(std::move(info));
    // An offset that repeats would loop for ever on a broken server.
    if (!page.offset.empty() && page.offset == offset) {
      return DataLossError("GET /v0/meta/bases returned the same offset twice");
    }
    offset = page.offset;
  } while (!offset.empty());
  return bases;
}

Result<std::string> GetBaseSchemaJson(Client& client, std::string_view base_id, Priority priority) {
  std::string path = fmt::format("/v0/meta/bases/{}/tables", http::PercentEncode(base_id));
  for (int attempt = 0;; ++attempt) {
    AIRPG_ASSIGN_OR_RETURN(std::string body,
                           client.Call(base_id, priority, Client::Retry::kAlways, "GET", path));
    Result<BaseSchema> parsed = ParseBaseSchema(body);
    if (parsed.ok()) return body;
    if (parsed.status().code() != StatusCode::kDataLoss || attempt >= 2) return parsed.status();
  }
}

Result<TokenOwner> Whoami(Client& client, Priority priority) {
  AIRPG_ASSIGN_OR_RETURN(std::string body, client.Call("", priority, Client::Retry::kAlways, "GET",
                                                       "/v0/meta/whoami"));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view text;
  if (parser.parse(body).get(root) != simdjson::SUCCESS ||
      root["id"].get_string().get(text) != simdjson::SUCCESS) {
    return DataLossError("GET /v0/meta/whoami: no user id in the answer");
  }
  TokenOwner owner;
  owner.user_id = std::string(text);
  if (root["email"].get_string().get(text) == simdjson::SUCCESS) owner.email = std::string(text);
  simdjson::dom::array scopes;
  if (root["scopes"].get_array().get(scopes) == simdjson::SUCCESS) {
    owner.scopes.emplace();
    for (simdjson::dom::element scope : scopes) {
      if (scope.get_string().get(text) == simdjson::SUCCESS) owner.scopes->emplace_back(text);
    }
  }
  return owner;
}

}  // namespace airpg::airtable
