#include "pg/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "base/redact.h"

namespace airpg::pg {
namespace {

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using Options = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

// libpq's parse errors quote the token they reject ("invalid percent-encoded
// token: "pa%ss"", "invalid URI query parameter: "x""), and that token may be
// a password. Keep a quoted word only when it is a connection keyword.
std::string MaskQuotedValues(std::string_view reason) {
  static const std::vector<std::string> keywords = [] {
    std::vector<std::string> out;
    if (PQconninfoOption* defaults = PQconndefaults()) {
      for (PQconninfoOption* o = defaults; o->keyword != nullptr; ++o) out.push_back(o->keyword);
      PQconninfoFree(defaults);
    }
    return out;
  }();
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = reason.find('"', pos);
    size_t close = open == std::string_view::npos ? open : reason.find('"', open + 1);
    if (close == std::string_view::npos) {
      out += reason.substr(pos);
      return out;
    }
    std::string_view quoted = reason.substr(open + 1, close - open - 1);
    bool keyword = std::find(keywords.begin(), keywords.end(), quoted) != keywords.end() ||
                   quoted == "=" || quoted == "]";
    out += reason.substr(pos, open + 1 - pos);
    out += keyword ? quoted : kRedacted;
    out += '"';
    pos = close + 1;
  }
}

Result<Options> Parse(std::string_view conninfo) {
  std::string text(conninfo);
  char* error = nullptr;
  Options options(PQconninfoParse(text.c_str(), &error));
  if (!options) {
    std::string reason = error ? error : "out of memory";
    if (error) PQfreemem(error);
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    std::string hint;
    if (reason.find("percent-encoded") != std::string::npos) {
      hint = " (write a '%' in the user name or password as %25)";
    }
    return InvalidArgumentError(fmt::format("invalid Postgres connection string: {}{}",
                                            Redact(MaskQuotedValues(reason)), hint));
  }
  return options;
}

// Single-quoted value for a key/value connection string.
std::string QuoteValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

bool IsSecret(std::string_view keyword) { return keyword == "password"; }

}  // namespace

Status ValidateConnInfo(std::string_view conninfo) {
  AIRPG_ASSIGN_OR_RETURN(Options options, Parse(conninfo));
  // libpq checks the port only when connecting, where a typo would look like
  // an outage; catch it here as the configuration error it is.
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) != "port" || o->val == nullptr) continue;
    std::string_view ports = o->val;
    for (char c : ports) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != ',') {
        return InvalidArgumentError(fmt::format(
            "invalid Postgres connection string: port '{}' is not a number", Redact(ports)));
      }
    }
  }
  return Status::Ok();
}

void RegisterConnInfoSecrets(std::string_view conninfo) {
  RegisterUrlPassword(conninfo);
  // password=VALUE in a URI query or a key/value string, quoted or not.
  for (size_t pos = conninfo.find("password="); pos != std::string_view::npos;
       pos = conninfo.find("password=", pos + 1)) {
    size_t start = pos + 9;
    size_t end;
    if (start < conninfo.size() && conninfo[start] == '\'') {
      ++start;
      end = start;
      while (end < conninfo.size() && conninfo[end] != '\'') end += conninfo[end] == '\\' ? 2 : 1;
    } else {
      end = conninfo.find_first_of(" &#", start);
    }
    std::string_view value = conninfo.substr(start, end == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : std::min(end, conninfo.size()) - start);
    RegisterPassword(value);
  }
}

Result<std::string> WithDatabase(std::string_view conninfo, std::string_view dbname) {
  AIRPG_ASSIGN_OR_RETURN(Options options, Parse(conninfo));
  std::string out;
  bool set_db = false;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    std::string_view keyword = o->keyword;
    if (keyword == "dbname") {
      set_db = true;
      out += fmt::format("dbname={} ", QuoteValue(dbname));
    } else if (o->val != nullptr) {
      out += fmt::format("{}={} ", keyword, QuoteValue(o->val));
    }
  }
  if (!set_db) out += fmt::format("dbname={} ", QuoteValue(dbname));
  if (!out.empty()) out.pop_back();
  return out;
}

Result<std::string> Printable(std::string_view conninfo) {
  AIRPG_ASSIGN_OR_RETURN(Options options, Parse(conninfo));
  std::string out;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view value = IsSecret(o->keyword) ? kRedacted : std::string_view(o->val);
    out += fmt::format("{}={} ", o->keyword, QuoteValue(value));
  }
  if (!out.empty()) out.pop_back();
  return out;
}

Result<std::map<std::string, std::string>> EnvironmentFor(std::string_view conninfo) {
  AIRPG_ASSIGN_OR_RETURN(Options options, Parse(conninfo));
  std::map<std::string, std::string> env;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr && o->envvar != nullptr) env[o->envvar] = o->val;
  }
  return env;
}

}  // namespace airpg::pg
