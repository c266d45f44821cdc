#include "base/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace airpg {
namespace {

std::mutex& SecretsMutex() {
  static std::mutex mu;
  return mu;
}

// Guarded by SecretsMutex(). Longest first, so a secret that contains another
// is masked whole.
std::vector<std::string>& Secrets() {
  static std::vector<std::string> secrets;
  return secrets;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

bool StartsWithNoCase(std::string_view text, size_t pos, std::string_view prefix) {
  if (text.size() - pos < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

void MaskRegisteredSecrets(std::string& text) {
  std::lock_guard<std::mutex> lock(SecretsMutex());
  for (const std::string& secret : Secrets()) {
    for (size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kRedacted.size())) {
      text.replace(pos, secret.size(), kRedacted);
    }
  }
}

// scheme://user:password@host → scheme://user:***@host
void MaskUriPasswords(std::string& text) {
  for (size_t pos = text.find("://"); pos != std::string::npos; pos = text.find("://", pos + 3)) {
    size_t start = pos + 3;
    size_t end = start;
    while (end < text.size() && text[end] != '/' && text[end] != '?' && text[end] != '#' &&
           !std::isspace(static_cast<unsigned char>(text[end])) && text[end] != '"' &&
           text[end] != '\'')
      ++end;
    // The user info ends at the last '@' of the authority (a password may hold '@').
    size_t at = text.rfind('@', end == 0 ? 0 : end - 1);
    if (at == std::string::npos || at < start) continue;
    size_t colon = text.find(':', start);
    if (colon == std::string::npos || colon > at) continue;
    text.replace(colon + 1, at - colon - 1, kRedacted);
  }
}

// password=VALUE, password='VALUE', "password": "VALUE" and the like.
void MaskPasswordAssignments(std::string& text) {
  static constexpr std::string_view kKeys[] = {"password", "passwd"};
  for (size_t pos = 0; pos < text.size(); ++pos) {
    for (std::string_view key : kKeys) {
      if (!StartsWithNoCase(text, pos, key)) continue;
      size_t p = pos + key.size();
      // Allow a closing quote of a JSON key, then spaces, then '=' or ':'.
      if (p < text.size() && text[p] == '"') ++p;
      while (p < text.size() && text[p] == ' ') ++p;
      if (p >= text.size() || (text[p] != '=' && text[p] != ':')) continue;
      ++p;
      while (p < text.size() && text[p] == ' ') ++p;
      if (p >= text.size()) continue;
      size_t value_start = p;
      size_t value_end;
      if (text[p] == '\'' || text[p] == '"') {
        char quote = text[p];
        value_start = p + 1;
        value_end = value_start;
        while (value_end < text.size() && text[value_end] != quote) {
          if (text[value_end] == '\\') ++value_end;
          ++value_end;
        }
        value_end = std::min(value_end, text.size());
      } else {
        value_end = p;
        while (value_end < text.size() &&
               !std::isspace(static_cast<unsigned char>(text[value_end])) &&
               text[value_end] != '&' && text[value_end] != ',' && text[value_end] != ';')
          ++value_end;
      }
      if (value_end > value_start) text.replace(value_start, value_end - value_start, kRedacted);
      pos = value_start + kRedacted.size();
      break;
    }
  }
}

// Bearer CREDENTIAL → Bearer ***
void MaskBearer(std::string& text) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (!StartsWithNoCase(text, pos, "bearer ")) continue;
    size_t start = pos + 7;
    size_t end = start;
    while (end < text.size() && IsTokenChar(text[end])) ++end;
    if (end > start && text.compare(start, end - start, kRedacted) != 0)
      text.replace(start, end - start, kRedacted);
    pos = start;
  }
}

// Airtable personal access tokens: "pat" + 14 alphanumerics + "." + hex.
void MaskAirtableTokens(std::string& text) {
  for (size_t pos = text.find("pat"); pos != std::string::npos; pos = text.find("pat", pos + 1)) {
    if (pos > 0 && IsTokenChar(text[pos - 1])) continue;
    size_t p = pos + 3;
    size_t alnum = 0;
    while (p < text.size() && std::isalnum(static_cast<unsigned char>(text[p]))) ++p, ++alnum;
    if (alnum != 14 || p >= text.size() || text[p] != '.') continue;
    size_t end = p + 1;
    while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
    if (end - p < 9) continue;  // too short to be a token's secret part
    text.replace(pos, end - pos, kRedacted);
  }
}

// %XX decoded where XX is hex; anything else (a raw '%') kept as it is.
std::string LenientPercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The span [begin, end) of a URL's user info, or nullopt. The user info ends
// at the '@' before the host; a password holding '/' (which libpq would then
// misread) still counts, when a ':' comes before that '/'.
std::optional<std::pair<size_t, size_t>> UserInfoSpan(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  size_t at = url.rfind('@', end == std::string_view::npos ? url.size() - 1 : end);
  if (at != std::string_view::npos && at >= start) return std::make_pair(start, at);
  // Only when no query or fragment comes first: an '@' there is data.
  at = url.rfind('@');
  if (at != std::string_view::npos &&
      url.substr(start, at - start).find_first_of("?#") != std::string_view::npos)
    return std::nullopt;
  size_t colon = url.find(':', start);
  if (at == std::string_view::npos || at < start || colon == std::string_view::npos || colon > at ||
      (end != std::string_view::npos && colon > end))
    return std::nullopt;
  return std::make_pair(start, at);
}

}  // namespace

void RegisterPercentEncodedSecret(std::string_view secret) {
  RegisterSecret(secret);
  RegisterSecret(LenientPercentDecode(secret));
}

void RegisterPassword(std::string_view password) {
  for (const std::string& form : {std::string(password), LenientPercentDecode(password)}) {
    if (form.size() >= kMinBarePasswordLength) RegisterSecret(form);
  }
}

void RegisterUrlPassword(std::string_view url) {
  std::optional<std::pair<size_t, size_t>> info = UserInfoSpan(url);
  if (!info) return;
  std::string_view userinfo = url.substr(info->first, info->second - info->first);
  if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
    RegisterPassword(userinfo.substr(colon + 1));
  }
}

void RegisterUrlSecrets(std::string_view url, bool query_values) {
  std::optional<std::pair<size_t, size_t>> info = UserInfoSpan(url);
  size_t rest = 0;
  if (info) {
    std::string_view userinfo = url.substr(info->first, info->second - info->first);
    RegisterPercentEncodedSecret(userinfo);
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      RegisterPercentEncodedSecret(userinfo.substr(colon + 1));
    }
    rest = info->second + 1;
  }
  if (!query_values) return;
  size_t q = url.find('?', rest);
  if (q == std::string_view::npos) return;
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    std::string_view param = query.substr(0, query.find('&'));
    if (size_t eq = param.find('='); eq != std::string_view::npos) {
      RegisterPercentEncodedSecret(param.substr(eq + 1));
    }
    if (param.size() >= query.size()) break;
    query.remove_prefix(param.size() + 1);
  }
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  size_t rest = 0;
  if (std::optional<std::pair<size_t, size_t>> info = UserInfoSpan(out)) {
    out.replace(info->first, info->second - info->first, kRedacted);
    rest = info->first + kRedacted.size() + 1;
  }
  if (size_t hash = out.find('#', rest); hash != std::string::npos) {
    out.replace(hash + 1, std::string::npos, kRedacted);
  }
  if (size_t q = out.find('?', rest); q != std::string::npos) {
    size_t pos = q + 1;
    while (pos < out.size() && out[pos] != '#') {
      size_t end = out.find_first_of("&#", pos);
      if (end == std::string::npos) end = out.size();
      size_t eq = out.find('=', pos);
      if (eq != std::string::npos && eq < end && end > eq + 1) {
        out.replace(eq + 1, end - eq - 1, kRedacted);
        end = eq + 1 + kRedacted.size();
      }
      pos = end < out.size() && out[end] == '&' ? end + 1 : end;
    }
  }
  return Redact(out);
}

void RegisterSecret(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> lock(SecretsMutex());
  std::vector<std::string>& secrets = Secrets();
  if (std::find(secrets.begin(), secrets.end(), secret) != secrets.end()) return;
  secrets.emplace_back(secret);
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redact(std::string_view text) {
  std::string out(text);
  MaskRegisteredSecrets(out);
  MaskUriPasswords(out);
  MaskPasswordAssignments(out);
  MaskBearer(out);
  MaskAirtableTokens(out);
  return out;
}

}  // namespace airpg
