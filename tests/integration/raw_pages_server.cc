#include "raw_pages_server.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "http/url.h"

namespace airpg::testing {
namespace {

http::Response Json(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

http::Response NotFound() {
  return Json(
      404, R"({"error":{"type":"NOT_FOUND","message":"Could not find what you are looking for"}})");
}

}  // namespace

void RawPagesServer::AddBase(const std::string& base_id, const std::string& name,
                             std::string schema_json) {
  bases_[base_id] = {name, std::move(schema_json)};
}

void RawPagesServer::AddPage(const std::string& base_id, const std::string& table_id,
                             const std::string& offset, std::string body) {
  std::lock_guard lock(mu_);
  pages_[{base_id, table_id, offset}] = std::move(body);
}

Status RawPagesServer::Start() {
  return server_.Start({}, [this](const http::Request& request) { return Handle(request); });
}

std::string RawPagesServer::url() const {
  return fmt::format("http://127.0.0.1:{}", server_.port());
}

int RawPagesServer::requests(const std::string& base_id, const std::string& table_id,
                             const std::string& offset) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find({base_id, table_id, offset});
  return it == counts_.end() ? 0 : it->second;
}

http::Response RawPagesServer::Handle(const http::Request& request) {
  std::string_view target = request.target;
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query =
      path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
  if (request.method != "GET") return NotFound();
  if (path == "/v0/meta/bases") {
    nlohmann::json bases = nlohmann::json::array();
    for (const auto& [id, base] : bases_) {
      bases.push_back({{"id", id}, {"name", base.first}, {"permissionLevel", "create"}});
    }
    return Json(200, nlohmann::json{{"bases", bases}}.dump());
  }
  constexpr std::string_view kMeta = "/v0/meta/bases/";
  if (path.rfind(kMeta, 0) == 0) {
    std::string_view rest = path.substr(kMeta.size());
    std::string base_id(rest.substr(0, rest.find('/')));
    auto it = bases_.find(base_id);
    if (it == bases_.end() || rest.substr(base_id.size()) != "/tables") return NotFound();
    return Json(200, it->second.second);
  }
  if (path.rfind("/v0/", 0) != 0) return NotFound();
  std::string_view rest = path.substr(4);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return NotFound();
  std::string base_id = http::PercentDecode(rest.substr(0, slash), false);
  std::string table_id = http::PercentDecode(rest.substr(slash + 1), false);
  std::string offset;
  for (const auto& [key, value] : http::ParseQuery(query)) {
    if (key == "offset") offset = value;
  }
  PageKey key{base_id, table_id, offset};
  std::lock_guard lock(mu_);
  auto page = pages_.find(key);
  if (page == pages_.end()) return NotFound();
  ++counts_[key];
  return Json(200, page->second);
}

}  // namespace airpg::testing
