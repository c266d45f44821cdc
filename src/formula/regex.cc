// RE2 behind the formula's regular expressions, with a small per-thread cache
// of compiled patterns (a filter compiles the same pattern once per record).
#include "formula/regex.h"

#include <re2/re2.h>

#include <memory>
#include <unordered_map>
#include <vector>

namespace airpg::formula {
namespace {

// Enough for every pattern of a formula; cleared whole when full. Long
// patterns (often a cell's text) are not kept, so the cache stays small.
constexpr size_t kCacheSize = 16;
constexpr size_t kMaxCachedPattern = 1024;

// The compiled pattern; valid until the next call on this thread.
Result<const RE2*> Compile(std::string_view pattern) {
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
  thread_local std::unique_ptr<RE2> uncached;
  RE2::Options options;
  options.set_log_errors(false);  // an invalid pattern is the user's #ERROR!, not a log line
  const RE2* re = nullptr;
  if (pattern.size() > kMaxCachedPattern) {
    uncached = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    re = uncached.get();
  } else {
    auto it = cache.find(std::string(pattern));
    if (it == cache.end()) {
      if (cache.size() >= kCacheSize) cache.clear();
      auto compiled =
          std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
      it = cache.emplace(std::string(pattern), std::move(compiled)).first;
    }
    re = it->second.get();
  }
  if (!re->ok()) return InvalidArgumentError("invalid regular expression: " + re->error());
  return re;
}

std::string_view View(re2::StringPiece p) { return {p.data(), p.size()}; }

// Length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t Utf8Length(unsigned char lead) {
  return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Appends `replacement` with its `$` forms expanded for one match.
void Expand(const RE2& re, std::string_view subject, const std::vector<re2::StringPiece>& groups,
            std::string_view replacement, std::string& out) {
  int count = re.NumberOfCapturingGroups();
  size_t start = groups[0].data() - subject.data();
  size_t end = start + groups[0].size();
  for (size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c != '$' || i + 1 >= replacement.size()) {
      out += c;
      continue;
    }
    char n = replacement[i + 1];
    if (n == '$') {
      out += '$';
      ++i;
    } else if (n == '&') {
      out += View(groups[0]);
      ++i;
    } else if (n == '`') {
      out += subject.substr(0, start);
      ++i;
    } else if (n == '\'') {
      out += subject.substr(end);
      ++i;
    } else if (n >= '0' && n <= '9') {
      // Two digits when they name a group, else one (JavaScript's rule).
      int one = n - '0';
      bool two_digits = i + 2 < replacement.size() && replacement[i + 2] >= '0' &&
                        replacement[i + 2] <= '9' &&
                        one * 10 + (replacement[i + 2] - '0') <= count &&
                        one * 10 + (replacement[i + 2] - '0') >= 1;
      int index = two_digits ? one * 10 + (replacement[i + 2] - '0') : one;
      if (index < 1 || index > count) {
        out += c;
        continue;
      }
      out += View(groups[index]);
      i += two_digits ? 2 : 1;
    } else if (n == '<' && !re.NamedCapturingGroups().empty()) {
      size_t close = replacement.find('>', i + 2);
      if (close == std::string_view::npos) {
        out += c;
        continue;
      }
      auto named =
          re.NamedCapturingGroups().find(std::string(replacement.substr(i + 2, close - i - 2)));
      if (named != re.NamedCapturingGroups().end()) out += View(groups[named->second]);
      i = close;
    } else {
      out += c;
    }
  }
}

}  // namespace

Status CheckRegex(std::string_view pattern) { return Compile(pattern).status(); }

Result<bool> RegexSearch(std::string_view subject, std::string_view pattern) {
  AIRPG_ASSIGN_OR_RETURN(const RE2* re, Compile(pattern));
  return re->Match(re2::StringPiece(subject.data(), subject.size()), 0, subject.size(),
                   RE2::UNANCHORED, nullptr, 0);
}

Result<std::optional<std::string>> RegexFirstMatch(std::string_view subject,
                                                   std::string_view pattern) {
  AIRPG_ASSIGN_OR_RETURN(const RE2* re, Compile(pattern));
  re2::StringPiece match;
  if (!re->Match(re2::StringPiece(subject.data(), subject.size()), 0, subject.size(),
                 RE2::UNANCHORED, &match, 1)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(View(match)));
}

Result<std::string> RegexReplaceAll(std::string_view subject, std::string_view pattern,
                                    std::string_view replacement) {
  AIRPG_ASSIGN_OR_RETURN(const RE2* re, Compile(pattern));
  re2::StringPiece text(subject.data(), subject.size());
  std::vector<re2::StringPiece> groups(re->NumberOfCapturingGroups() + 1);
  std::string out;
  size_t copied = 0, pos = 0;
  while (pos <= subject.size() && re->Match(text, pos, subject.size(), RE2::UNANCHORED,
                                            groups.data(), static_cast<int>(groups.size()))) {
    size_t start = groups[0].data() - subject.data();
    size_t end = start + groups[0].size();
    out.append(subject, copied, start - copied);
    Expand(*re, subject, groups, replacement, out);
    copied = end;
    pos = end;
    if (end == start) {
      // An empty match: keep the next character and search after it.
      if (end >= subject.size()) break;
      size_t next = std::min(subject.size(), end + Utf8Length(subject[end]));
      out.append(subject, end, next - end);
      copied = pos = next;
    }
  }
  out.append(subject, copied);
  return out;
}

}  // namespace airpg::formula
