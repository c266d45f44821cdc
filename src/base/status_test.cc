#include "base/status.h"

#include <set>

#include <gtest/gtest.h>

namespace airpg {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = UnavailableError("server closed the connection");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "server closed the connection");
  EXPECT_EQ(s.ToString(), "UNAVAILABLE: server closed the connection");
}

TEST(StatusTest, OkCodeNeverCarriesMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, CopiesAreIndependent) {
  Status a = NotFoundError("record recX");
  Status b = a;
  a = Status::Ok();
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(b.code(), StatusCode::kNotFound);
  EXPECT_EQ(b.message(), "record recX");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = AbortedError("deadlock detected").WithContext("apply batch 7");
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(s.message(), "apply batch 7: deadlock detected");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, TransientCodesAreTheRetryableOnes) {
  EXPECT_TRUE(IsTransient(StatusCode::kUnavailable));
  EXPECT_TRUE(IsTransient(StatusCode::kResourceExhausted));
  EXPECT_TRUE(IsTransient(StatusCode::kAborted));
  EXPECT_TRUE(IsTransient(StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(IsTransient(StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsTransient(StatusCode::kUnauthenticated));
  EXPECT_FALSE(IsTransient(StatusCode::kInternal));
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(StatusCode::kDataLoss); ++c) {
    std::string_view name = StatusCodeName(static_cast<StatusCode>(c));
    EXPECT_NE(name, "UNKNOWN");
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

Status FailsAtStep(int failing, int* reached) {
  for (int step = 1; step <= 3; ++step) {
    *reached = step;
    AIRPG_RETURN_IF_ERROR(step == failing ? InternalError("boom") : Status::Ok());
  }
  return Status::Ok();
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  int reached = 0;
  EXPECT_EQ(FailsAtStep(2, &reached).code(), StatusCode::kInternal);
  EXPECT_EQ(reached, 2);
  EXPECT_TRUE(FailsAtStep(0, &reached).ok());
  EXPECT_EQ(reached, 3);
}

}  // namespace
}  // namespace airpg
