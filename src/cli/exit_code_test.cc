#include "cli/exit_code.h"

#include <gtest/gtest.h>

namespace airpg::cli {
namespace {

TEST(ExitCodeTest, MapsStatusToDocumentedCodes) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(InternalError("x")), 1);
  EXPECT_EQ(ExitCodeFor(FailedPreconditionError("x")), 1);
  EXPECT_EQ(ExitCodeFor(NotFoundError("x")), 1);
  EXPECT_EQ(ExitCodeFor(InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(UnavailableError("x")), 3);
  EXPECT_EQ(ExitCodeFor(DeadlineExceededError("x")), 3);
  EXPECT_EQ(ExitCodeFor(UnauthenticatedError("x")), 4);
  EXPECT_EQ(ExitCodeFor(PermissionDeniedError("x")), 4);
  EXPECT_EQ(ExitCodeFor(CancelledError("x")), 130);
}

}  // namespace
}  // namespace airpg::cli
