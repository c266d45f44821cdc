#include "pg/conninfo.h"

#include <gtest/gtest.h>

namespace airpg::pg {
namespace {

TEST(ConnInfoTest, ValidatesBothForms) {
  EXPECT_TRUE(ValidateConnInfo("postgresql://u:p@localhost:5432/db").ok());
  EXPECT_TRUE(ValidateConnInfo("host=/tmp dbname=x").ok());
  Status bad = ValidateConnInfo("postgresql://u:hunter2@host:notaport/db?bogus_option=1");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message().find("hunter2"), std::string_view::npos) << bad.message();
  EXPECT_EQ(ValidateConnInfo("this is = not valid").code(), StatusCode::kInvalidArgument);
}

TEST(ConnInfoTest, WithDatabaseReplacesOnlyTheDatabase) {
  auto url = WithDatabase("postgresql://app:pw@db.example:6543/prod?sslmode=disable", "t1");
  ASSERT_TRUE(url.ok());
  EXPECT_NE(url->find("dbname='t1'"), std::string::npos) << *url;
  EXPECT_NE(url->find("host='db.example'"), std::string::npos);
  EXPECT_NE(url->find("port='6543'"), std::string::npos);
  EXPECT_NE(url->find("sslmode='disable'"), std::string::npos);
  EXPECT_EQ(url->find("prod"), std::string::npos);
}

TEST(ConnInfoTest, PrintableHidesThePassword) {
  auto printable = Printable("postgresql://app:s3cret@db/prod");
  ASSERT_TRUE(printable.ok());
  EXPECT_EQ(printable->find("s3cret"), std::string::npos);
  EXPECT_NE(printable->find("password='***'"), std::string::npos) << *printable;
}

TEST(ConnInfoTest, EnvironmentForPsql) {
  auto env = EnvironmentFor("postgresql://app:s3cret@db:6543/prod");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("PGHOST"), "db");
  EXPECT_EQ(env->at("PGPORT"), "6543");
  EXPECT_EQ(env->at("PGUSER"), "app");
  EXPECT_EQ(env->at("PGPASSWORD"), "s3cret");
  EXPECT_EQ(env->at("PGDATABASE"), "prod");
}

}  // namespace
}  // namespace airpg::pg
