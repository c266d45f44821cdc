// The shared wire format against real Airtable captures
// (tests/fixtures/airtable/records, LIVE): records rebuilt from their V1
// cells through RecordBuilder equal the captured bytes (keys compared in
// canonical order: Airtable's order of keys inside "fields" is not the
// table's), for cellFormat json, returnFieldsByFieldId, commentCount and
// cellFormat=string with timeZone/userLocale.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "airtable/wire/iso_time.h"
#include "airtable/wire/json_text.h"
#include "airtable/wire/record_renderer.h"

namespace airpg::airtable::wire {
namespace {

Json Fixture(const std::string& name) {
  std::ifstream in(std::string(AIRPG_FIXTURES_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// Canonical text: the same JSON with object keys sorted.
std::string Canonical(const Json& value) { return nlohmann::json::parse(value.dump()).dump(); }

// The one zone the capture asks for, at the capture's instants: Saigon was
// UTC+8 in 1970 (the emulator and src/api pass src/formula's tz reader).
bool ZoneOffset(const std::string& zone, int64_t utc_seconds, int* offset) {
  if (zone != "Asia/Ho_Chi_Minh" || utc_seconds > 100000000) return false;
  *offset = 8 * 3600;
  return true;
}

class WireFixturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Json schema = Fixture("meta/base_schema_art_gallery_real.json");
    for (const Json& table : schema["tables"]) {
      if (table["name"].get<std::string>().find("Fewer Artists") != std::string::npos) {
        fields_ = table["fields"];
      }
    }
    ASSERT_TRUE(fields_.is_array());
  }

  // Rebuilds `record` (a captured record keyed by name, or by field id when
  // `input_by_id`) from its cells.
  Json Rebuild(const Json& record, const RenderOptions& options, TextContext context = {},
               int comment_count = 0, bool input_by_id = false) {
    RecordBuilder builder(options, std::move(context));
    for (const Json& field : fields_) {
      const Json& cell =
          MemberAt(record["fields"], field[input_by_id ? "id" : "name"].get<std::string>());
      builder.Add({field["id"].get<std::string>(), field["name"].get<std::string>(),
                   ParseFieldType(field["type"].get<std::string>()), &MemberAt(field, "options")},
                  cell);
    }
    int64_t created = 0;
    EXPECT_TRUE(ParseIsoMillis(record["createdTime"].get<std::string>(), &created));
    return builder.Finish(record["id"].get<std::string>(), created, comment_count);
  }

  // `record` written by RecordTextWriter from its cells as indented text
  // (made canonical by CanonicalJson, as serve does with Postgres's text).
  std::string WriteText(const Json& record, const RenderOptions& options, int comment_count = 0,
                        bool input_by_id = false) {
    RecordTextWriter writer(options);
    int64_t created = 0;
    EXPECT_TRUE(ParseIsoMillis(record["createdTime"].get<std::string>(), &created));
    std::string out;
    writer.Begin(out, record["id"].get<std::string>(), created);
    for (const Json& field : fields_) {
      const Json& cell =
          MemberAt(record["fields"], field[input_by_id ? "id" : "name"].get<std::string>());
      std::optional<std::string> text = CanonicalJson(cell.dump(2));
      EXPECT_TRUE(text.has_value());
      std::string id = field["id"], name = field["name"];
      writer.Add(out, {id, name, ParseFieldType(field["type"].get<std::string>())}, *text);
    }
    writer.End(out, comment_count);
    return out;
  }

  Json fields_;
};

TEST_F(WireFixturesTest, TextWriterWritesTheBuildersBytes) {
  Json page = Fixture("records/art_gallery_list_records_full.json");
  Json by_id = Fixture("records/art_gallery_list_records_return_fields_by_field_id.json");
  RenderOptions plain, ids, subset, comments;
  ids.by_field_id = true;
  for (const Json& field : fields_) {
    if (field["name"] == "Name" || field["name"] == "Collection") {
      subset.only_field_ids.push_back(field["id"].get<std::string>());
    }
  }
  comments.comment_count = true;
  for (const Json& record : page["records"]) {
    for (const RenderOptions* options : {&plain, &ids, &subset, &comments}) {
      EXPECT_EQ(WriteText(record, *options, 3), Rebuild(record, *options, {}, 3).dump());
    }
  }
  for (const Json& record : by_id["records"]) {
    EXPECT_EQ(WriteText(record, ids, 0, true), Rebuild(record, ids, {}, 0, true).dump());
  }
}

TEST_F(WireFixturesTest, ListFullIsRebuiltByteForByte) {
  Json page = Fixture("records/art_gallery_list_records_full.json");
  ASSERT_EQ(page["records"].size(), 7u);
  for (const Json& record : page["records"]) {
    Json rebuilt = Rebuild(record, {});
    EXPECT_EQ(Canonical(rebuilt), Canonical(record));
    // Top-level key order is Airtable's: id, createdTime, fields.
    EXPECT_EQ(rebuilt.begin().key(), "id");
  }
}

TEST_F(WireFixturesTest, FieldsByIdAndSubset) {
  // Each capture was taken at its own time (signed URLs, edited cells), so
  // each is rebuilt from its own cells.
  Json by_name = Fixture("records/art_gallery_list_records_full.json");
  Json by_id = Fixture("records/art_gallery_list_records_return_fields_by_field_id.json");
  RenderOptions options;
  options.by_field_id = true;
  ASSERT_EQ(by_id["records"].size(), 3u);
  for (const Json& record : by_id["records"]) {
    EXPECT_EQ(Canonical(Rebuild(record, options, {}, 0, true)), Canonical(record));
  }
  Json subset = Fixture("records/art_gallery_list_records_fields_subset.json");
  RenderOptions only;
  for (const Json& field : fields_) {
    if (field["name"] == "Name" || field["name"] == "Collection") {
      only.only_field_ids.push_back(field["id"].get<std::string>());
    }
  }
  for (const Json& record : subset["records"]) {
    for (const Json& named : by_name["records"]) {
      if (named["id"] == record["id"]) {
        EXPECT_EQ(Canonical(Rebuild(named, only)), Canonical(record));
      }
    }
  }
}

TEST_F(WireFixturesTest, CommentCount) {
  Json page = Fixture("records/art_gallery_list_records_comment_count.json");
  RenderOptions options;
  options.comment_count = true;
  for (const Json& record : page["records"]) {
    Json rebuilt = Rebuild(record, options, {}, record["commentCount"].get<int>());
    EXPECT_EQ(Canonical(rebuilt), Canonical(record));
  }
}

TEST_F(WireFixturesTest, CellFormatStringWithTimeZoneAndLocale) {
  Json json_page = Fixture("records/art_gallery_list_records_full.json");
  Json string_page = Fixture("records/art_gallery_list_records_cellformat_string.json");
  // The linked Collections records are not in the captures: their primary
  // text is taken from the string capture of single links.
  std::map<std::string, std::string> names;
  for (const Json& shown : string_page["records"]) {
    for (const Json& record : json_page["records"]) {
      const Json& links = MemberAt(record["fields"], "Collection");
      if (record["id"] == shown["id"] && links.is_array() && links.size() == 1) {
        names[links[0].get<std::string>()] = StringAt(shown["fields"], "Collection");
      }
    }
  }
  TextContext context;
  context.zone_offset = ZoneOffset;
  context.linked_text = [&names](const Json&, const std::string& record_id) {
    auto it = names.find(record_id);
    return it == names.end() ? std::string() : it->second;
  };
  RenderOptions options;
  options.string_format = true;
  options.time_zone = "Asia/Ho_Chi_Minh";
  options.user_locale = "fr-ca";
  ASSERT_EQ(string_page["records"].size(), 3u);
  for (const Json& shown : string_page["records"]) {
    for (const Json& record : json_page["records"]) {
      if (record["id"] != shown["id"]) continue;
      Json rebuilt = Rebuild(record, options, context);
      // The two captures were taken at different times: attachment URLs
      // are signed per read and Bio was edited in between.
      Json expected = shown;
      for (const char* changed : {"Attachments", "Bio"}) {
        rebuilt["fields"].erase(changed);
        expected["fields"].erase(changed);
      }
      EXPECT_EQ(Canonical(rebuilt), Canonical(expected));
    }
  }
}

}  // namespace
}  // namespace airpg::airtable::wire
