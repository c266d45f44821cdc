#include "cli/config.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "base/redact.h"

namespace airpg::cli {
namespace {
namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("airpg-config-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& text) {
    fs::path path = dir_ / "airpg.yaml";
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFileOrEnvironment) {
  MapEnvironment env({{"HOME", "/home/ada"}});
  auto config = LoadConfig(env, std::nullopt);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->source.empty());
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->airtable_endpoint_url, "https://api.airtable.com");
  EXPECT_FALSE(config->database_url);
  EXPECT_EQ(config->home, DefaultHome(env));
  // A budget under Airtable's 5 per base: one a second left for the base's
  // other clients (issue 14); the token's is Airtable's.
  EXPECT_EQ(config->airtable_per_base_limit, 3);
  EXPECT_EQ(config->airtable_per_token_limit, 50);
}

// Issue 15: an empty or relative AIRPG_HOME is refused (exit 2), never
// silently replaced by the default or resolved against the working directory.
TEST_F(ConfigTest, HomeMustBeAnAbsolutePath) {
  for (const char* home : {"", "relative/dir", "./airpg"}) {
    auto config = LoadConfig(MapEnvironment({{"AIRPG_HOME", home}}), std::nullopt);
    ASSERT_FALSE(config.ok()) << home;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find("AIRPG_HOME"), std::string::npos)
        << config.status().message();
  }
  auto from_file = LoadConfig(MapEnvironment({}), Write("home: data\n"));
  ASSERT_FALSE(from_file.ok());
  EXPECT_NE(from_file.status().message().find("absolute"), std::string::npos);
  auto absolute = LoadConfig(MapEnvironment({{"AIRPG_HOME", "/srv/airpg"}}), std::nullopt);
  ASSERT_TRUE(absolute.ok()) << absolute.status().ToString();
  EXPECT_EQ(absolute->home, "/srv/airpg");
}

TEST_F(ConfigTest, SyncSettingsPerTableAndTheirErrors) {
  std::string path = Write(
      "sync:\n  poll_seconds: 30\n  max_delete_share: 0.05\n  drop_removed_fields: true\n"
      "  tables:\n    Users: {lane: fast, poll_seconds: 5}\n    v1.archive:\n      lane: slow\n");
  auto config = LoadConfig(MapEnvironment({{"AIRPG_SYNC_SWEEP_MINUTES", "3"}}), path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->sync.poll_seconds, 30);
  EXPECT_EQ(config->sync.sweep_minutes, 3);
  EXPECT_EQ(config->sync.max_delete_share, 0.05);
  EXPECT_TRUE(config->sync.drop_removed_fields);
  ASSERT_EQ(config->sync.tables.size(), 2u);
  EXPECT_EQ(config->sync.tables["Users"].lane, "fast");
  EXPECT_EQ(config->sync.tables["Users"].poll_seconds, 5);
  EXPECT_EQ(config->sync.tables["v1.archive"].lane, "slow");  // a name with a dot

  for (const char* text :
       {"sync:\n  tables:\n    Users: {lane: urgent}\n",
        "sync:\n  tables:\n    Users: {poll_seconds: 0}\n",
        "sync:\n  tables:\n    Users: {color: red}\n", "sync:\n  max_delete_share: 1.5\n",
        "sync:\n  sweep_minutes: x\n", "sync:\n  drop_removed_fields: yes please\n"}) {
    auto refused = LoadConfig(MapEnvironment({}), Write(text));
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(refused.status().message().find("sync."), std::string::npos)
        << refused.status().message();
  }
}

// Issue 17: how often the sync reads stale view snapshots again.
TEST_F(ConfigTest, SyncViewRefreshFromFileAndEnvironment) {
  auto defaults = LoadConfig(MapEnvironment({}), std::nullopt);
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->sync.view_refresh_seconds, 60);
  auto from_file = LoadConfig(MapEnvironment({}), Write("sync:\n  view_refresh: 300\n"));
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->sync.view_refresh_seconds, 300);
  auto from_env = LoadConfig(MapEnvironment({{"AIRPG_SYNC_VIEW_REFRESH", "0"}}), std::nullopt);
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->sync.view_refresh_seconds, 0);
  for (const char* text : {"sync:\n  view_refresh: -1\n", "sync:\n  view_refresh: soon\n"}) {
    auto refused = LoadConfig(MapEnvironment({}), Write(text));
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

// The authority matrix of issue 16, as the issue writes it, and its variables.
TEST_F(ConfigTest, SyncAuthorityMatrixFromFileAndEnvironment) {
  std::string path = Write(
      "sync:\n  authority: airtable\n  conflict: latest\n  tables:\n"
      "    Clients: {authority: both, conflict: manual}\n"
      "    Registrations: {authority: both, fields: {Status: airtable, Notes: both}}\n");
  auto config = LoadConfig(MapEnvironment({{"AIRPG_SYNC_DEBOUNCE_MS", "50"}}), path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->sync.authority, "airtable");
  EXPECT_EQ(config->sync.conflict, "latest");
  EXPECT_EQ(config->sync.debounce_ms, 50);
  EXPECT_EQ(config->sync.tables["Clients"].authority, "both");
  EXPECT_EQ(config->sync.tables["Clients"].conflict, "manual");
  EXPECT_EQ(config->sync.tables["Registrations"].fields["Status"], "airtable");
  EXPECT_EQ(config->sync.tables["Registrations"].fields["Notes"], "both");

  auto env = LoadConfig(
      MapEnvironment(
          {{"AIRPG_SYNC_AUTHORITY", "postgres"},
           {"AIRPG_SYNC_CONFLICT", "postgres_wins"},
           {"AIRPG_SYNC_TABLES", "{Clients: {authority: both, fields: {Notes: airtable}}}"}}),
      std::nullopt);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->sync.authority, "postgres");
  EXPECT_EQ(env->sync.conflict, "postgres_wins");
  EXPECT_EQ(env->sync.tables["Clients"].authority, "both");
  EXPECT_EQ(env->sync.tables["Clients"].fields["Notes"], "airtable");

  for (const char* text :
       {"sync:\n  authority: everyone\n", "sync:\n  conflict: coin\n",
        "sync:\n  tables:\n    T: {authority: nobody}\n",
        "sync:\n  tables:\n    T: {fields: {F: maybe}}\n", "sync:\n  debounce_ms: -1\n"}) {
    auto refused = LoadConfig(MapEnvironment({}), Write(text));
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_FALSE(LoadConfig(MapEnvironment({{"AIRPG_SYNC_TABLES", "{T: [1"}}), std::nullopt).ok());
}

TEST_F(ConfigTest, DefaultHomeFollowsXdgForNormalUsers) {
  if (::geteuid() == 0) {
    EXPECT_EQ(DefaultHome(MapEnvironment({{"HOME", "/root"}})), "/var/lib/airpg");
  } else {
    EXPECT_EQ(DefaultHome(MapEnvironment({{"HOME", "/home/ada"}})), "/home/ada/.local/share/airpg");
    EXPECT_EQ(DefaultHome(MapEnvironment({{"XDG_DATA_HOME", "/data"}})), "/data/airpg");
  }
}

TEST_F(ConfigTest, FileThenEnvironmentOverrides) {
  std::string path = Write(
      "home: /srv/airpg\n"
      "log:\n  level: debug\n  format: json\n"
      "embedded:\n  tcp_port: 6543\n"
      "airtable:\n  endpoint_url: http://127.0.0.1:8080\n");
  MapEnvironment env({{"AIRPG_LOG_LEVEL", "warn"}, {"AIRPG_EMBEDDED_TCP_PORT", "7000"}});
  auto config = LoadConfig(env, path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source, path);
  EXPECT_EQ(config->home, "/srv/airpg");
  EXPECT_EQ(config->log_level, "warn");  // env wins over file
  EXPECT_EQ(config->log_format, "json");
  EXPECT_EQ(config->embedded_tcp_port, 7000);
  EXPECT_EQ(config->airtable_endpoint_url, "http://127.0.0.1:8080");
}

TEST_F(ConfigTest, ConfigFileFromAirpgConfigVariable) {
  std::string path = Write("home: /from/env/config\n");
  auto config = LoadConfig(MapEnvironment({{"AIRPG_CONFIG", path}}), std::nullopt);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->home, "/from/env/config");
}

TEST_F(ConfigTest, AirtableEndpointVariableOfTheOfficialClient) {
  MapEnvironment env({{"AIRTABLE_ENDPOINT_URL", "http://127.0.0.1:9"}});
  auto config = LoadConfig(env, std::nullopt);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->airtable_endpoint_url, "http://127.0.0.1:9");
  env.Set("AIRPG_AIRTABLE_ENDPOINT_URL", "http://127.0.0.1:10");
  EXPECT_EQ(LoadConfig(env, std::nullopt)->airtable_endpoint_url, "http://127.0.0.1:10");
}

TEST_F(ConfigTest, PacerLimitsFromFileAndEnvironment) {
  std::string path = Write("airtable:\n  per_base_limit: 20\n  per_token_limit: 200\n");
  MapEnvironment env({{"AIRPG_AIRTABLE_PER_BASE_LIMIT", "100000"}});
  auto config = LoadConfig(env, path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->airtable_per_base_limit, 100000);  // env wins over file
  EXPECT_EQ(config->airtable_per_token_limit, 200);
  for (const char* bad : {"0", "-5", "5.5", "fast"}) {
    auto refused =
        LoadConfig(MapEnvironment({{"AIRPG_AIRTABLE_PER_TOKEN_LIMIT", bad}}), std::nullopt);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("AIRPG_AIRTABLE_PER_TOKEN_LIMIT"),
              std::string_view::npos);
  }
}

// Issue 14: the attachment size cap, Airtable's largest attachment by default.
TEST_F(ConfigTest, AttachmentSizeCapFromFileAndEnvironment) {
  auto defaults = LoadConfig(MapEnvironment(), std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->attachments_max_mb, 5120);
  std::string path = Write("attachments:\n  max_mb: 100\n");
  auto config = LoadConfig(MapEnvironment(), path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->attachments_max_mb, 100);
  auto env = LoadConfig(MapEnvironment({{"AIRPG_ATTACHMENTS_MAX_MB", "7"}}), path);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->attachments_max_mb, 7);
  for (const char* bad : {"0", "-1", "1.5", "big"}) {
    auto refused = LoadConfig(MapEnvironment({{"AIRPG_ATTACHMENTS_MAX_MB", bad}}), std::nullopt);
    EXPECT_FALSE(refused.ok()) << bad;
  }
}

// Issue 15: how many replaced schemas a swap keeps for rollback.
TEST_F(ConfigTest, MigrateKeepBackupsFromFileAndEnvironment) {
  auto defaults = LoadConfig(MapEnvironment(), std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->migrate_keep_backups, 3);
  std::string path = Write("migrate:\n  keep_backups: 5\n");
  auto config = LoadConfig(MapEnvironment(), path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->migrate_keep_backups, 5);
  auto env = LoadConfig(MapEnvironment({{"AIRPG_MIGRATE_KEEP_BACKUPS", "1"}}), path);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->migrate_keep_backups, 1);
  for (const char* bad : {"0", "-1", "2.5", "many"}) {
    auto refused = LoadConfig(MapEnvironment({{"AIRPG_MIGRATE_KEEP_BACKUPS", bad}}), std::nullopt);
    EXPECT_FALSE(refused.ok()) << bad;
  }
}

TEST_F(ConfigTest, UnknownKeyNamesFileLineAndKey) {
  std::string path = Write("log:\n  level: info\n  colour: blue\n");
  auto config = LoadConfig(MapEnvironment(), path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("airpg.yaml:3"), std::string_view::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find("log.colour"), std::string_view::npos);
}

TEST_F(ConfigTest, BadValuesAreRejectedWithTheKey) {
  EXPECT_FALSE(LoadConfig(MapEnvironment(), Write("embedded:\n  tcp_port: 70000\n")).ok());
  EXPECT_FALSE(LoadConfig(MapEnvironment(), Write("log:\n  level: loud\n")).ok());
  EXPECT_FALSE(LoadConfig(MapEnvironment(), Write("airtable:\n  endpoint_url: ftp://x\n")).ok());
  EXPECT_FALSE(LoadConfig(MapEnvironment(), Write("log: [1, 2]\n")).ok());
  EXPECT_FALSE(LoadConfig(MapEnvironment(), Write("log: {level: [a]}\n")).ok());
  auto env_bad = LoadConfig(MapEnvironment({{"AIRPG_EMBEDDED_TCP_PORT", "abc"}}), std::nullopt);
  ASSERT_FALSE(env_bad.ok());
  EXPECT_NE(env_bad.status().message().find("AIRPG_EMBEDDED_TCP_PORT"), std::string_view::npos);
}

TEST_F(ConfigTest, SecretsInTheFileAreRefusedWithoutEchoingThem) {
  auto config = LoadConfig(MapEnvironment(), Write("database_url: postgresql://u:Sekr1t@h/db\n"));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().find("Sekr1t"), std::string_view::npos);
  EXPECT_NE(config.status().message().find("environment"), std::string_view::npos);
}

TEST_F(ConfigTest, InvalidYamlAndMissingFile) {
  EXPECT_EQ(LoadConfig(MapEnvironment(), Write("log: [unclosed\n")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadConfig(MapEnvironment(), (dir_ / "nope.yaml").string()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, TokenIsReadAndRegisteredForRedaction) {
  MapEnvironment env({{"AIRTABLE_TOKEN", "patConfigTest0001.secretpart"},
                      {"DATABASE_URL", "postgresql://localhost/db"}});
  auto config = LoadConfig(env, std::nullopt);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->airtable_token, "patConfigTest0001.secretpart");
  EXPECT_EQ(config->database_url, "postgresql://localhost/db");
  EXPECT_EQ(Redact("x patConfigTest0001.secretpart y"), "x *** y");
}

// `--help` states the default the config really has (it said 4, the config 3).
TEST(ConfigHelpTest, TheHelpStatesThePerBaseLimitsDefault) {
  std::string help;
  for (const ConfigKey& key : ConfigKeys()) {
    if (std::string(key.path) == "airtable.per_base_limit") help = key.help;
  }
  EXPECT_NE(help.find("default " + std::to_string(Config{}.airtable_per_base_limit) + " "),
            std::string::npos)
      << help;
}

}  // namespace
}  // namespace airpg::cli
