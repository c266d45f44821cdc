// JSON text as Airtable sent it, read with simdjson's On Demand API: the
// number grammar and the scalar token without its trailing whitespace. Shared
// by the record-page parser (record.cc) and the webhook payload parser
// (webhook.cc), which both keep values as text so that a number of any size
// or precision passes whole. Pure and thread-safe.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace airpg::airtable {

// Whether `raw` is a JSON number (RFC 8259 §6 grammar). Its value is not
// read, so 1e400 or a 40-digit integer passes.
bool IsJsonNumber(std::string_view raw);

// A scalar's JSON text without the whitespace On Demand leaves after it.
std::string_view TrimmedToken(simdjson::ondemand::value& value);

}  // namespace airpg::airtable
