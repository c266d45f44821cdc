#include "pg/conninfo.h"

#include <libpq-fe.h>

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

Result<Options> Parse(std::string_view conninfo) {
  std::string text(conninfo);
  char* error = nullptr;
  Options options(PQconninfoParse(text.c_str(), &error));
  if (!options) {
    std::string reason = error ? error : "out of memory";
    if (error) PQfreemem(error);
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    return InvalidArgumentError(
        fmt::format("invalid Postgres connection string: {}", Redact(reason)));
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
        return InvalidArgumentError(
            fmt::format("invalid Postgres connection string: port '{}' is not a number", ports));
      }
    }
  }
  return Status::Ok();
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
