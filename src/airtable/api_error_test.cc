#include "airtable/api_error.h"

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

TEST(ApiErrorTest, ReadsAllThreeBodyShapes) {
  ApiError full = ParseApiError(
      422, R"({"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \"X\""}})");
  EXPECT_EQ(full.type, "UNKNOWN_FIELD_NAME");
  EXPECT_EQ(full.message, "Unknown field name: \"X\"");
  ApiError bare = ParseApiError(404, R"({"error":"NOT_FOUND"})");
  EXPECT_EQ(bare.type, "NOT_FOUND");
  EXPECT_EQ(bare.message, "");
  ApiError type_only = ParseApiError(404, R"({"error":{"type":"NOT_FOUND"}})");
  EXPECT_EQ(type_only.type, "NOT_FOUND");
}

TEST(ApiErrorTest, UnreadableBodiesKeepTheStatus) {
  for (std::string_view body :
       {"", "<html>502 Bad Gateway</html>", "{\"error\":", "[1,2]", "{\"error\":{\"type\":42}}"}) {
    ApiError e = ParseApiError(502, body);
    EXPECT_EQ(e.http_status, 502);
    EXPECT_EQ(e.type, "");
    EXPECT_EQ(ToStatus(e).code(), StatusCode::kUnavailable);
  }
}

TEST(ApiErrorTest, StatusCodesSayWhatToDoNext) {
  struct Case {
    int status;
    const char* type;
    StatusCode code;
  } cases[] = {
      {401, "AUTHENTICATION_REQUIRED", StatusCode::kUnauthenticated},
      {403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", StatusCode::kPermissionDenied},
      {404, "NOT_FOUND", StatusCode::kNotFound},
      {422, "INVALID_VALUE_FOR_COLUMN", StatusCode::kInvalidArgument},
      {422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", StatusCode::kAborted},
      {400, "", StatusCode::kInvalidArgument},
      {413, "", StatusCode::kInvalidArgument},
      {429, "RATE_LIMIT_REACHED", StatusCode::kResourceExhausted},
      {500, "", StatusCode::kUnavailable},
      {503, "RETRIABLE_ERROR", StatusCode::kUnavailable},
      {302, "", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ToStatus(ApiError{c.status, c.type, ""}).code(), c.code) << c.status << c.type;
  }
}

TEST(ApiErrorTest, MessageKeepsTypeAndTextWithoutSecrets) {
  Status s = ToStatus(ApiError{422, "INVALID_VALUE_FOR_COLUMN", "bad value for Bearer abc123"});
  EXPECT_EQ(s.message(), "HTTP 422 INVALID_VALUE_FOR_COLUMN: bad value for Bearer ***");
}

}  // namespace
}  // namespace airpg::airtable
