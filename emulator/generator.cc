#include "emulator/generator.h"

#include <random>
#include <string>
#include <vector>

#include "emulator/clock.h"
#include "emulator/ids.h"

namespace airpg::emulator {
namespace {

constexpr const char* kStages[] = {"Lead", "Qualified", "Won", "Lost"};
constexpr const char* kTags[] = {"north", "south", "east", "west", "vip"};
constexpr const char* kWords[] = {"alpha",   "bravo", "charlie", "delta", "echo",
                                  "foxtrot", "golf",  "hotel",   "india", "juliet"};

Json Choices(const char* const* names, size_t count, IdGenerator& ids) {
  static constexpr const char* kColors[] = {"blueLight2", "greenLight2", "redLight2",
                                            "yellowLight2", "purpleLight2"};
  Json out = Json::array();
  for (size_t i = 0; i < count; ++i) {
    out.push_back({{"id", ids.Next("sel")}, {"name", names[i]}, {"color", kColors[i % 5]}});
  }
  return out;
}

}  // namespace

Json GenerateBase(int tables, int records, uint64_t seed) {
  IdGenerator ids(seed);
  std::mt19937_64 rng(seed);
  const int64_t start = 1704067200000;  // 2024-01-01T00:00:00.000Z
  std::vector<std::string> table_ids, link_ids, inverse_ids;
  std::vector<std::vector<std::string>> record_ids(static_cast<size_t>(tables));
  for (int t = 0; t < tables; ++t) {
    table_ids.push_back(ids.Next("tbl"));
    link_ids.push_back(ids.Next("fld"));     // table t → t-1
    inverse_ids.push_back(ids.Next("fld"));  // table t-1 → t
    for (int r = 0; r < records; ++r) record_ids[static_cast<size_t>(t)].push_back(ids.Next("rec"));
  }
  // inverse[t][r]: records of table t+1 that link to record r of table t.
  Json out_tables = Json::array();
  std::vector<std::vector<std::vector<std::string>>> inverse(static_cast<size_t>(tables));
  for (auto& v : inverse) v.resize(static_cast<size_t>(records));
  std::vector<Json> built;
  for (int t = 0; t < tables; ++t) {
    size_t ti = static_cast<size_t>(t);
    Json fields = Json::array({
        {{"id", ids.Next("fld")}, {"name", "Name"}, {"type", "singleLineText"}},
        {{"id", ids.Next("fld")},
         {"name", "Amount"},
         {"type", "number"},
         {"options", {{"precision", 2}}}},
        {{"id", ids.Next("fld")},
         {"name", "Done"},
         {"type", "checkbox"},
         {"options", {{"icon", "check"}, {"color", "greenBright"}}}},
        {{"id", ids.Next("fld")},
         {"name", "Stage"},
         {"type", "singleSelect"},
         {"options", {{"choices", Choices(kStages, 4, ids)}}}},
        {{"id", ids.Next("fld")},
         {"name", "Tags"},
         {"type", "multipleSelects"},
         {"options", {{"choices", Choices(kTags, 5, ids)}}}},
        {{"id", ids.Next("fld")},
         {"name", "Due"},
         {"type", "date"},
         {"options", {{"dateFormat", {{"name", "iso"}, {"format", "YYYY-MM-DD"}}}}}},
        {{"id", ids.Next("fld")},
         {"name", "Updated"},
         {"type", "dateTime"},
         {"options",
          {{"timeZone", "utc"},
           {"dateFormat", {{"name", "iso"}, {"format", "YYYY-MM-DD"}}},
           {"timeFormat", {{"name", "24hour"}, {"format", "HH:mm"}}}}}},
        {{"id", ids.Next("fld")}, {"name", "Notes"}, {"type", "multilineText"}},
    });
    if (t > 0) {
      fields.push_back({{"id", link_ids[ti]},
                        {"name", "Table " + std::to_string(t)},
                        {"type", "multipleRecordLinks"},
                        {"options",
                         {{"linkedTableId", table_ids[ti - 1]},
                          {"isReversed", false},
                          {"prefersSingleRecordLink", false},
                          {"inverseLinkFieldId", inverse_ids[ti]}}}});
    }
    if (t + 1 < tables) {
      fields.push_back({{"id", inverse_ids[ti + 1]},
                        {"name", "Table " + std::to_string(t + 2)},
                        {"type", "multipleRecordLinks"},
                        {"options",
                         {{"linkedTableId", table_ids[ti + 1]},
                          {"isReversed", false},
                          {"prefersSingleRecordLink", false},
                          {"inverseLinkFieldId", link_ids[ti + 1]}}}});
    }
    Json rows = Json::array();
    for (int r = 0; r < records; ++r) {
      size_t ri = static_cast<size_t>(r);
      Json cells = {
          {"Name", std::string(kWords[rng() % 10]) + " " + std::to_string(r + 1)},
          {"Amount", static_cast<double>(rng() % 100000) / 100.0},
          {"Stage", kStages[rng() % 4]},
          {"Due",
           FormatIsoMillis(start + static_cast<int64_t>(rng() % 365) * 86400000).substr(0, 10)},
          {"Updated", FormatIsoMillis(start + static_cast<int64_t>(rng() % 31536000) * 1000)}};
      if (rng() % 2) cells["Done"] = true;
      if (rng() % 3) cells["Tags"] = Json::array({kTags[rng() % 5]});
      if (rng() % 4 == 0) cells["Notes"] = "Generated note for record " + std::to_string(r + 1);
      if (t > 0) {
        size_t k = rng() % static_cast<size_t>(records);
        cells["Table " + std::to_string(t)] = Json::array({record_ids[ti - 1][k]});
        inverse[ti - 1][k].push_back(record_ids[ti][ri]);  // the inverse side
      }
      rows.push_back({{"id", record_ids[ti][ri]},
                      {"createdTime", FormatIsoMillis(start + static_cast<int64_t>(r) * 1000)},
                      {"fields", cells}});
    }
    built.push_back({{"id", table_ids[ti]},
                     {"name", "Table " + std::to_string(t + 1)},
                     {"fields", fields},
                     {"records", rows}});
  }
  for (int t = 0; t + 1 < tables; ++t) {
    size_t ti = static_cast<size_t>(t);
    for (int r = 0; r < records; ++r) {
      const auto& back = inverse[ti][static_cast<size_t>(r)];
      if (!back.empty())
        built[ti]["records"][static_cast<size_t>(r)]["fields"]["Table " + std::to_string(t + 2)] =
            back;
    }
  }
  for (Json& t : built) out_tables.push_back(std::move(t));
  return {{"user",
           {{"id", ids.Next("usr")}, {"email", "generator@example.com"}, {"name", "Generator"}}},
          {"bases",
           Json::array(
               {{{"id", ids.Next("app")}, {"name", "Generated base"}, {"tables", out_tables}}})}};
}

}  // namespace airpg::emulator
