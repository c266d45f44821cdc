// The table the list fuzz targets plan and serve requests over
// (list_plan_fuzz.cc, serve_list_fuzz.cc): a field of each kind a list can
// filter or sort on, with quotes, semicolons and formula syntax in its
// names. Kept here once so the two targets fuzz the same table. Tests and
// fuzz targets only; pure.
#pragma once

#include <string>

namespace airpg::api::testing {

inline constexpr char kFuzzTableId[] = "tblFuzz0000000001";

// The Meta API answer (GET …/tables) describing the table. `with_link`:
// with "Friends", a multipleRecordLinks field to the table itself, which
// list_plan_fuzz.cc plans over; serve_list_fuzz.cc's table has no links.
inline std::string FuzzTableMeta(bool with_link) {
  std::string fields = R"json(
{"id":"fldName0000000001","name":"Na\"me'; --","type":"singleLineText"},
{"id":"fldNum00000000001","name":"Amount","type":"number","options":{"precision":2}},
{"id":"fldDate0000000001","name":"When (x)","type":"date","options":{"dateFormat":{"name":"iso","format":"YYYY-MM-DD"}}},
{"id":"fldDone0000000001","name":"Done","type":"checkbox","options":{"icon":"check","color":"greenBright"}},
{"id":"fldTier0000000001","name":"Tier","type":"singleSelect","options":{"choices":[{"id":"selA","name":"A'"},{"id":"selB","name":"B"}]}},
{"id":"fldTags0000000001","name":"Tags","type":"multipleSelects","options":{"choices":[{"id":"selC","name":"C"}]}},)json";
  if (with_link) {
    fields += R"json(
{"id":"fldLink0000000001","name":"Friends","type":"multipleRecordLinks","options":{"linkedTableId":"tblFuzz0000000001","isReversed":false,"prefersSingleRecordLink":false}},)json";
  }
  fields += R"json(
{"id":"fldForm0000000001","name":"Twice","type":"formula","options":{"formula":"{fldNum00000000001}*2","isValid":true,"referencedFieldIds":["fldNum00000000001"],"result":{"type":"number","options":{"precision":0}}}}
)json";
  return std::string(R"json({"tables":[{"id":")json") + kFuzzTableId +
         R"json(","name":"Fuzz; DROP","primaryFieldId":"fldName0000000001","fields":[)json" +
         fields + "]}]}";
}

}  // namespace airpg::api::testing
