#include "pg/conninfo.h"

#include <gtest/gtest.h>

#include "base/redact.h"

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

// Issue 14: libpq quotes the token it cannot decode, which was the password.
TEST(ConnInfoTest, RawPercentInPasswordIsNeverEchoed) {
  Status bad = ValidateConnInfo("postgresql://app:Pa%ssw0rdRaw@db/prod");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message().find("Pa%ssw0rdRaw"), std::string_view::npos) << bad.message();
  EXPECT_EQ(bad.message().find("ssw0rd"), std::string_view::npos) << bad.message();
  EXPECT_NE(bad.message().find("%25"), std::string_view::npos) << bad.message();  // the hint
  Status zero = ValidateConnInfo("postgresql://app:Nul%00Secret@db/prod");
  EXPECT_EQ(zero.message().find("Nul%00Secret"), std::string_view::npos) << zero.message();
  // A keyword libpq names stays readable.
  Status keyword = ValidateConnInfo("host=db port");
  EXPECT_EQ(keyword.code(), StatusCode::kInvalidArgument);
}

TEST(ConnInfoTest, RegistersThePasswordWithoutLibpq) {
  RegisterConnInfoSecrets("postgresql://app:Raw%Pass9@db/prod");
  EXPECT_EQ(Redact("libpq said \"Raw%Pass9\""), "libpq said \"***\"");
  RegisterConnInfoSecrets("host=db password='kv secret\\'s' user=app");
  EXPECT_EQ(Redact("echo kv secret\\'s"), "echo ***");
  RegisterConnInfoSecrets("postgresql://db/prod?user=app&password=qu%41ry-value");
  EXPECT_EQ(Redact("quAry-value qu%41ry-value"), "*** ***");
}

// The user name is not a secret, and a short password is masked only where it
// stands as a password: our own messages keep their words.
TEST(ConnInfoTest, UserNamesAndShortPasswordsLeaveOrdinaryWordsAlone) {
  RegisterConnInfoSecrets("postgresql://airpg@/db?host=/tmp&port=5432");
  RegisterConnInfoSecrets("postgresql://migrate:sync@db/prod");
  RegisterConnInfoSecrets("host=db user=app password=status");
  EXPECT_EQ(Redact("run `airpg migrate`, then `airpg sync` and `airpg status`"),
            "run `airpg migrate`, then `airpg sync` and `airpg status`");
  EXPECT_EQ(Redact("postgresql://migrate:sync@db/prod"), "postgresql://migrate:***@db/prod");
  EXPECT_EQ(Redact("host=db user=app password=status"), "host=db user=app password=***");
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
