// The shared path parser: what it refuses is what lets a proxied path climb
// out of its base (`..`, encoded dots, empty segments, overlong paths).
#include "airtable/wire/api_path.h"

#include <gtest/gtest.h>

namespace airpg::airtable::wire {
namespace {

TEST(ApiPathTest, RecordsMetaAndWebhooksNameTheirBase) {
  ApiResult<ApiPath> records = ParseApiPath("/v0/appA/tbl%20T/recR");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->api, ApiPath::Api::kRecords);
  EXPECT_EQ(records->base_id, "appA");
  EXPECT_EQ(records->segments, (std::vector<std::string>{"v0", "appA", "tbl T", "recR"}));
  EXPECT_EQ(records->Encoded(), "/v0/appA/tbl%20T/recR");

  ApiResult<ApiPath> meta = ParseApiPath("/v0/meta/bases/appB/tables/tblT/fields/fldF");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->api, ApiPath::Api::kMeta);
  EXPECT_EQ(meta->base_id, "appB");

  ApiResult<ApiPath> bases = ParseApiPath("/v0/meta/bases");
  ASSERT_TRUE(bases.ok());
  EXPECT_EQ(bases->base_id, "");

  ApiResult<ApiPath> hooks = ParseApiPath("/v0/bases/appC/webhooks/achW/payloads");
  ASSERT_TRUE(hooks.ok());
  EXPECT_EQ(hooks->api, ApiPath::Api::kWebhooks);
  EXPECT_EQ(hooks->base_id, "appC");

  // A table name may hold any character; a slash in it stays encoded.
  ApiResult<ApiPath> slash = ParseApiPath("/v0/appA/A%2F..%5C%20B");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(slash->segments[2], "A/..\\ B");
  EXPECT_EQ(slash->Encoded(), "/v0/appA/A%2F..%5C%20B");

  ApiResult<ApiPath> trailing = ParseApiPath("/v0/appA/tblT/");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->segments.size(), 3u);
}

TEST(ApiPathTest, PathsThatCouldLeaveTheirBaseAreNoRoute) {
  for (const char* target : {
           "/v0/appA/tblT/../../appOTHER/tblZ",
           "/v0/appA/tblT/%2e%2e/%2E%2E/appOTHER/tblZ",
           "/v0/appA/./tblT",
           "/v0/appA/tblT/%2e",
           "/v0/appA//tblT",
           "/v0/appA/tblT/recR/fldF/uploadAttachment/x",
           "/v0/meta/bases/appA/tables/tblT/fields/fldF/x",
           "/v0/bases/appA/webhooks/achW/payloads/x",
           "v0/appA/tblT",
           "/v1/appA/tblT",
           "/v0",
       }) {
    ApiResult<ApiPath> parsed = ParseApiPath(target);
    ASSERT_FALSE(parsed.ok()) << target;
    EXPECT_EQ(parsed.error().status, 404) << target;
  }
  EXPECT_FALSE(ParseApiPath("/v0/appA/" + std::string(2000, 'x')).ok());
}

}  // namespace
}  // namespace airpg::airtable::wire
