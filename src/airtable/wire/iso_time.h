// ISO 8601 instants as Airtable writes them ("2022-09-12T21:03:48.000Z") and
// the shapes it accepts, for the server side of the wire format (record
// createdTime, date cells, cellFormat=string). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace airpg::airtable::wire {

// "2022-09-12T21:03:48.000Z" for epoch milliseconds.
std::string FormatIsoMillis(int64_t millis);

// Parses "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]" (no zone =
// UTC) into epoch milliseconds. Returns false when the text is not such a time.
bool ParseIsoMillis(const std::string& text, int64_t* millis);

}  // namespace airpg::airtable::wire
