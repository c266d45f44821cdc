#include "http/message.h"

namespace airpg::http {

std::string_view Request::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace airpg::http
