#include "base/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>
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

}  // namespace

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
