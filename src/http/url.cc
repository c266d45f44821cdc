#include "http/url.h"

#include "base/utf8.h"

namespace airpg::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

QueryParams ParseQuery(std::string_view query) {
  QueryParams params;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      // Decoded bytes are read as UTF-8 with replacement, as URLSearchParams
      // and Node read them: a parameter is always text Postgres accepts.
      auto decode = [](std::string_view part) {
        return Utf8WithReplacement(PercentDecode(part, true));
      };
      if (eq == std::string_view::npos) {
        params.emplace_back(decode(piece), "");
      } else {
        params.emplace_back(decode(piece.substr(0, eq)), decode(piece.substr(eq + 1)));
      }
    }
    start = end + 1;
  }
  return params;
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::vector<std::string> SplitPath(std::string_view encoded_path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= encoded_path.size()) {
    size_t end = encoded_path.find('/', start);
    if (end == std::string_view::npos) end = encoded_path.size();
    if (end > start) {
      segments.push_back(
          Utf8WithReplacement(PercentDecode(encoded_path.substr(start, end - start), false)));
    }
    start = end + 1;
  }
  return segments;
}

}  // namespace airpg::http
