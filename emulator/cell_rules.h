// CellRules: how the emulator shows the cells whose Airtable rendering is not
// pinned down (API.md §5.3; docs/emulator.md lists each choice). Set once per
// emulator through EmulatorOptions and copied into every base it loads.
// A plain value; thread-compatible.
#pragma once

namespace airpg::emulator {

struct CellRules {
  // createdTime / lastModifiedTime fields whose `result.type` is "date".
  enum class DateResult {
    kDate,     // "2024-03-10", the date in the result's time zone (API.md §5.3)
    kInstant,  // "2024-03-10T23:30:00.000Z", as for a dateTime result
  };
  DateResult date_result = DateResult::kDate;

  // Lookups, rollups and counts that are broken: `isValid` false, or their
  // link field, linked table or looked-up field gone (real schemas show
  // `"recordLinkFieldId": null`).
  enum class BrokenComputed {
    kOmit,   // no value — unless the data file stores one, which is shown as is
    kError,  // {"error":"#ERROR!"}, as a formula error
  };
  BrokenComputed broken_computed = BrokenComputed::kOmit;
};

}  // namespace airpg::emulator
