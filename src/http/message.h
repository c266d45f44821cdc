// Request and Response: the HTTP messages the server wrapper hands to handlers
// and the loopback client returns. Plain values so that cpp-httplib and libcurl
// stay inside src/http/. Header names are stored lower-case.
// Thread-compatible values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airpg::http {

struct Request {
  std::string method;  // upper-case: GET, POST, PUT, PATCH, DELETE, ...
  // The request target exactly as received (path and query, still encoded).
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote_addr;

  // The header's value, or "" when absent. `name` must be lower-case.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

}  // namespace airpg::http
