#include "pg/sqlstate.h"

#include <gtest/gtest.h>

namespace airpg::pg {
namespace {

struct Case {
  const char* sqlstate;
  StatusCode code;
};

TEST(SqlStateTest, MapsByWhatTheCallerDoesNext) {
  const Case cases[] = {
      {"40001", StatusCode::kAborted},          {"40P01", StatusCode::kAborted},
      {"23505", StatusCode::kAlreadyExists},    {"23503", StatusCode::kFailedPrecondition},
      {"23502", StatusCode::kInvalidArgument},  {"22P02", StatusCode::kInvalidArgument},
      {"22003", StatusCode::kInvalidArgument},  {"08006", StatusCode::kUnavailable},
      {"57P01", StatusCode::kUnavailable},      {"28P01", StatusCode::kUnauthenticated},
      {"42501", StatusCode::kPermissionDenied}, {"42P01", StatusCode::kFailedPrecondition},
      {"42601", StatusCode::kInternal},         {"53300", StatusCode::kResourceExhausted},
      {"57014", StatusCode::kCancelled},        {"XX001", StatusCode::kDataLoss},
      {"XX000", StatusCode::kInternal},         {"0A000", StatusCode::kUnimplemented},
      {"25006", StatusCode::kPermissionDenied}, {"55P03", StatusCode::kAborted},
      {"bogus", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CodeForSqlState(c.sqlstate), c.code) << c.sqlstate;
  }
}

TEST(SqlStateTest, MessageNamesTheState) {
  Status s = StatusFromSqlState("23505", "duplicate key");
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "SQLSTATE 23505: duplicate key");
}

}  // namespace
}  // namespace airpg::pg
