// The shared list parameters and error bodies: GET query and POST body give
// the same ListParams; error bodies are the captured ones byte for byte.
#include "airtable/wire/list_params.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "airtable/wire/offset_store.h"

namespace airpg::airtable::wire {
namespace {

std::string FixtureText(const std::string& name) {
  std::ifstream in(std::string(AIRPG_FIXTURES_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str()).dump();  // re-indented captures: compact form
}

TEST(ListParamsTest, QueryAndBodyAgree) {
  http::QueryParams query = {{"pageSize", "5"},
                             {"maxRecords", "9"},
                             {"fields[]", "Name"},
                             {"fields[]", "fldB"},
                             {"sort[0][field]", "Age"},
                             {"sort[0][direction]", "desc"},
                             {"sort[1][field]", "Name"},
                             {"filterByFormula", "{Age} > 3"},
                             {"cellFormat", "string"},
                             {"timeZone", "Europe/Paris"},
                             {"userLocale", "fr"},
                             {"returnFieldsByFieldId", "true"},
                             {"recordMetadata[]", "commentCount"}};
  auto from_query = ParseListQuery(query);
  ASSERT_TRUE(from_query.ok());
  Json body = Json::parse(R"({"pageSize":5,"maxRecords":9,"fields":["Name","fldB"],
      "sort":[{"field":"Age","direction":"desc"},{"field":"Name"}],
      "filterByFormula":"{Age} > 3","cellFormat":"string","timeZone":"Europe/Paris",
      "userLocale":"fr","returnFieldsByFieldId":true,"recordMetadata":["commentCount"]})");
  auto from_body = ParseListBody(body, {});
  ASSERT_TRUE(from_body.ok());
  for (ListParams* p : {&from_query.value(), &from_body.value()}) {
    EXPECT_EQ(p->page_size, 5);
    EXPECT_EQ(p->max_records, 9);
    EXPECT_EQ(p->fields, (std::vector<std::string>{"Name", "fldB"}));
    ASSERT_EQ(p->sort.size(), 2u);
    EXPECT_EQ(p->sort[0].field, "Age");
    EXPECT_TRUE(p->sort[0].descending);
    EXPECT_FALSE(p->sort[1].descending);
    EXPECT_EQ(p->filter_by_formula, "{Age} > 3");
    EXPECT_EQ(p->cell_format, "string");
    EXPECT_EQ(p->time_zone, "Europe/Paris");
    EXPECT_TRUE(p->return_fields_by_field_id);
    EXPECT_TRUE(p->comment_count);
  }
}

TEST(ListParamsTest, RefusesWhatAirtableRefuses) {
  auto big = ParseListQuery({{"pageSize", "101"}});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().type, "INVALID_PAGE_SIZE_ARGUMENT");
  auto string_without_zone = ParseListQuery({{"cellFormat", "string"}});
  ASSERT_FALSE(string_without_zone.ok());
  EXPECT_EQ(string_without_zone.error().status, 422);
  EXPECT_FALSE(ParseListQuery({{"maxRecords", "x"}}).ok());
}

TEST(ApiErrorTest, BodiesMatchTheCaptures) {
  EXPECT_EQ(RouteNotFound().ToResponse().body,
            FixtureText("errors/404_not_found_bare_string.json"));
  EXPECT_EQ(ModelNotFound().ToResponse().body,
            FixtureText("errors/403_invalid_permissions_or_model_not_found.json"));
  EXPECT_EQ(InvalidRequest().ToResponse().body,
            FixtureText("errors/422_invalid_request_unknown.json"));
  EXPECT_EQ(RateLimitReached().ToResponse().body,
            FixtureText("errors/429_rate_limit_reached.json"));
  EXPECT_EQ(RateLimitReached().ToResponse().status, 429);
}

// Found by serve_list_fuzz: an unknown field name with a byte that is not
// UTF-8, echoed in the message, threw out of the handler.
TEST(ApiErrorTest, AMessageThatIsNotUtf8IsStillAnAnswer) {
  http::Response response = InvalidRequest("Unknown field names: Tie\xb8r").ToResponse();
  EXPECT_EQ(response.status, 422);
  EXPECT_NE(response.body.find("Tie\xef\xbf\xbdr"), std::string::npos) << response.body;
}

TEST(OffsetStoreTest, IteratorsResolveAndExpire) {
  OffsetStore store(1000);
  std::string id =
      store.Create("tblA", {"recAAAAAAAAAAAAAA", "recBBBBBBBBBBBBBB"}, 0, "itrIIIIIIIIIIIIII");
  auto position = store.Resolve("tblA", id + "/recAAAAAAAAAAAAAA", 10);
  ASSERT_TRUE(position.ok());
  EXPECT_EQ(position->next, 1u);
  auto expired = store.Resolve("tblA", id + "/recAAAAAAAAAAAAAA", 5000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().ToResponse().body,
            FixtureText("errors/422_list_records_iterator_not_available.json"));
  EXPECT_EQ(store.Resolve("tblA", "nonsense", 0).error().type, "INVALID_OFFSET_VALUE");
}

}  // namespace
}  // namespace airpg::airtable::wire
