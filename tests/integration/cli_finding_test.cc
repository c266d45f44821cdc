// Finding one's way with the airpg binary (issue 15): unknown commands and
// options list what exists, `airpg help`, `airpg bases` and `airpg schema
// dump` against an in-process emulator, `formula --base`, the README's
// formula examples run as written, and shell completion scripts.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "airpg_process.h"
#include "base/subprocess.h"
#include "emulator/emulator.h"

namespace airpg::testing {
namespace {

constexpr const char* kBase = "appDeltaAnalytic1";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string LastLine(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  return lines.empty() ? "" : lines.back();
}

// Runs a bash script; its stdout.
std::string Bash(const std::string& script) {
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  Result<ProcessOutput> out = RunProcess({"bash", "-c", script}, options);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return "";
  EXPECT_EQ(out->exit_code, 0) << out->err;
  return out->out;
}

TEST(CliFindingTest, UnknownCommandSaysSoAndListsTheCommands) {
  AirpgProcess airpg;
  ProcessOutput out = airpg.Run({"foo"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.out, "");
  EXPECT_EQ(LastLine(out.err), "airpg: unknown command 'foo'") << out.err;
  for (const char* command : {"migrate", "sync", "bases", "schema", "formula", "help"}) {
    EXPECT_TRUE(Contains(out.err, std::string("\n  ") + command + " ")) << command << out.err;
  }
  // One level down, the subcommands of the command reached.
  ProcessOutput db = airpg.Run({"db", "strat"});
  EXPECT_EQ(db.exit_code, 2);
  EXPECT_EQ(LastLine(db.err), "airpg: unknown command 'strat' for `airpg db`") << db.err;
  EXPECT_TRUE(Contains(db.err, "  start ")) << db.err;
  // No command at all.
  ProcessOutput none = airpg.Run({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(LastLine(none.err), "airpg: `airpg` needs a command") << none.err;
  EXPECT_TRUE(Contains(none.err, "  migrate ")) << none.err;
}

TEST(CliFindingTest, UnknownOptionSaysSoAndListsTheCommands) {
  AirpgProcess airpg;
  ProcessOutput out = airpg.Run({"--bogus"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(LastLine(out.err), "airpg: unknown option '--bogus' for `airpg`") << out.err;
  EXPECT_TRUE(Contains(out.err, "  migrate ")) << out.err;
  ProcessOutput sub = airpg.Run({"migrate", "--bogus"});
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_EQ(LastLine(sub.err), "airpg: unknown option '--bogus' for `airpg migrate`") << sub.err;
  EXPECT_TRUE(Contains(sub.err, "airpg migrate --help")) << sub.err;
}

TEST(CliFindingTest, TheErrorLineFollowsLogFormatJson) {
  AirpgProcess airpg;
  auto expect_json_error = [](const ProcessOutput& out, const std::string& needle) {
    EXPECT_EQ(out.exit_code, 2);
    nlohmann::json line = nlohmann::json::parse(LastLine(out.err), nullptr, false);
    ASSERT_TRUE(line.is_object()) << out.err;
    EXPECT_EQ(line["level"], "error");
    EXPECT_TRUE(line["ts"].is_string());
    EXPECT_TRUE(Contains(line["msg"].get<std::string>(), needle)) << out.err;
  };
  expect_json_error(airpg.Run({"--log-format", "json", "foo"}), "unknown command 'foo'");
  expect_json_error(airpg.Run({"--log-format=json", "--bogus"}), "unknown option '--bogus'");
  airpg.SetEnv("AIRPG_LOG_FORMAT", "json");
  expect_json_error(airpg.Run({"foo"}), "unknown command 'foo'");
  // The flag wins over the environment, and applies to errors after parsing too.
  EXPECT_EQ(LastLine(airpg.Run({"--log-format", "text", "foo"}).err),
            "airpg: unknown command 'foo'");
  expect_json_error(airpg.Run({"formula", "check", "1", "--table", "T"}), "--table needs");
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  expect_json_error(airpg.Run({"migrate"}), "--base");
  expect_json_error(airpg.Run({"sync", "--base", "appAAAAAAAAAAAAAA", "--port", "70000"}),
                    "--listen/--port");
  airpg.SetEnv("DATABASE_URL", "postgresql://app:secret@db:port/prod");
  expect_json_error(airpg.Run({"db", "url"}), "DATABASE_URL");
}

TEST(CliFindingTest, HelpListsTheCommandsOrOnesOptions) {
  AirpgProcess airpg;
  ProcessOutput help = airpg.Run({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* command : {"migrate", "sync", "bases", "schema", "formula", "completion"}) {
    EXPECT_TRUE(Contains(help.out, std::string("  ") + command + " ")) << command << help.out;
  }
  ProcessOutput db_start = airpg.Run({"help", "db", "start"});
  EXPECT_EQ(db_start.exit_code, 0) << db_start.err;
  EXPECT_TRUE(Contains(db_start.out, "Usage:")) << db_start.out;
  EXPECT_TRUE(Contains(db_start.out, "idempotent")) << db_start.out;
  ProcessOutput bad = airpg.Run({"help", "nope"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(LastLine(bad.err), "airpg: unknown command 'nope'") << bad.err;
}

// The Delta sample (or other data) in an in-process emulator; airpg pointed at it.
std::unique_ptr<emulator::Emulator> StartEmulator(AirpgProcess& airpg,
                                                  const std::string& data_json = "") {
  emulator::EmulatorOptions options;
  if (data_json.empty()) {
    options.data_path = std::string(AIRPG_EMULATOR_SAMPLES_DIR) + "/delta_analytics.json";
  } else {
    options.data_json = data_json;
  }
  options.rate_limits = false;
  auto emulator = emulator::Emulator::Start(options);
  EXPECT_TRUE(emulator.ok()) << emulator.status().ToString();
  if (!emulator.ok()) return nullptr;
  airpg.SetEnv("AIRTABLE_ENDPOINT_URL", (*emulator)->url());
  airpg.SetEnv("AIRPG_AIRTABLE_ENDPOINT_URL", std::nullopt);
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  airpg.SetEnv("AIRTABLE_TOKEN", "patCliFindingTest");
  return std::move(emulator).value();
}

TEST(CliFindingTest, BasesListsWhatTheTokenSees) {
  AirpgProcess airpg;
  auto emulator = StartEmulator(airpg);
  ASSERT_NE(emulator, nullptr);
  ProcessOutput text = airpg.Run({"bases"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 2u) << text.out;
  EXPECT_EQ(lines[0].substr(0, 2), "ID");
  EXPECT_TRUE(Contains(lines[0], "NAME")) << lines[0];
  EXPECT_TRUE(Contains(lines[0], "PERMISSION")) << lines[0];
  EXPECT_EQ(lines[1].substr(0, 17), kBase) << lines[1];
  EXPECT_TRUE(Contains(lines[1], "Delta Analytics")) << lines[1];

  ProcessOutput json = airpg.Run({"bases", "--output", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["bases"].size(), 1u) << json.out;
  EXPECT_EQ(parsed["bases"][0]["id"], kBase);
  EXPECT_EQ(parsed["bases"][0]["permissionLevel"], "create");
}

TEST(CliFindingTest, BasesReadsEveryPage) {
  // The Meta API sends 1,000 bases a page.
  nlohmann::json data = {{"bases", nlohmann::json::array()}};
  for (int i = 0; i < 1001; ++i) data["bases"].push_back({{"name", "B" + std::to_string(i)}});
  AirpgProcess airpg;
  auto emulator = StartEmulator(airpg, data.dump());
  ASSERT_NE(emulator, nullptr);
  ProcessOutput json = airpg.Run({"bases", "--output", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  nlohmann::json parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["bases"].size(), 1001u);
  EXPECT_EQ(parsed["bases"][1000]["name"], "B1000");
}

TEST(CliFindingTest, SchemaDumpIsWhatFormulaSchemaFileTakes) {
  AirpgProcess airpg;
  auto emulator = StartEmulator(airpg);
  ASSERT_NE(emulator, nullptr);
  ProcessOutput dump = airpg.Run({"schema", "dump", "--base", kBase});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  nlohmann::json schema = nlohmann::json::parse(dump.out);
  ASSERT_EQ(schema["tables"].size(), 5u) << dump.out;
  EXPECT_EQ(schema["tables"][0]["id"], "tblClients0000001");

  std::filesystem::path file = airpg.home() / "delta.json";
  std::ofstream(file) << dump.out;
  const std::string formula = "IF({Status} = \"Approved\", LEN({Reference}), 0)";
  ProcessOutput from_file = airpg.Run(
      {"formula", "check", formula, "--schema-file", file.string(), "--table", "Registrations"});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, "ok: the formula gives number\n");
  // --base reads the same schema itself.
  for (const char* action : {"check", "sql"}) {
    ProcessOutput from_base =
        airpg.Run({"formula", action, formula, "--base", kBase, "--table", "Registrations"});
    EXPECT_EQ(from_base.exit_code, 0) << action << from_base.err;
    ProcessOutput same = airpg.Run(
        {"formula", action, formula, "--schema-file", file.string(), "--table", "Registrations"});
    EXPECT_EQ(from_base.out, same.out) << action;
  }
  ProcessOutput eval = airpg.Run({"formula", "eval", "UPPER({Company})", "--base", kBase, "--table",
                                  "Clients", "--record", R"({"Company":"Acme"})"});
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_EQ(eval.out, "\"ACME\"\n");

  // The base from the configuration.
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", kBase);
  ProcessOutput configured = airpg.Run({"schema", "dump"});
  EXPECT_EQ(configured.exit_code, 0) << configured.err;
  EXPECT_EQ(configured.out, dump.out);
}

TEST(CliFindingTest, SchemaDumpAndFormulaBaseUsageErrors) {
  AirpgProcess airpg;
  auto emulator = StartEmulator(airpg);
  ASSERT_NE(emulator, nullptr);
  ProcessOutput no_base = airpg.Run({"schema", "dump"});
  EXPECT_EQ(no_base.exit_code, 2);
  EXPECT_TRUE(Contains(no_base.err, "--base")) << no_base.err;
  EXPECT_EQ(airpg.Run({"schema", "dump", "--base", "nope"}).exit_code, 2);
  ProcessOutput both =
      airpg.Run({"formula", "check", "1", "--base", kBase, "--schema-file", "x.json"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(Lines(both.err).size(), 1u) << both.err;
  // airpg's own options come after the command too.
  ProcessOutput config =
      airpg.Run({"schema", "dump", "--base", kBase, "--config", "/nonexistent/airpg.yaml"});
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_TRUE(Contains(config.err, "does not exist")) << config.err;
  ProcessOutput formula_config =
      airpg.Run({"formula", "check", "1", "--base", kBase, "--config", "/nonexistent/airpg.yaml"});
  EXPECT_EQ(formula_config.exit_code, 2);
  EXPECT_TRUE(Contains(formula_config.err, "does not exist")) << formula_config.err;
  ProcessOutput several = airpg.Run({"formula", "check", "1", "--base", kBase});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_TRUE(Contains(several.err, "--table")) << several.err;
}

// Splits a README command line into words: single and double quotes, backslash
// escapes inside double quotes; enough for the documented examples.
std::vector<std::string> ShellWords(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      word += line.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) ++i;
        word += line[i];
      }
      in_word = true;
    } else if (c == ' ') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// Every `airpg formula …` line of the README's block after "<!-- formula
// examples -->" is run as written; the comment line after it (`# → output`)
// is the first line of its expected output.
TEST(CliFindingTest, TheReadmeFormulaExamplesWorkAsWritten) {
  std::ifstream in(std::string(AIRPG_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in);
  std::vector<std::string> readme;
  for (std::string line; std::getline(in, line);) readme.push_back(line);
  AirpgProcess airpg;
  airpg.SetEnv("AIRPG_AIRTABLE_BASE_ID", std::nullopt);
  size_t start = 0;
  while (start < readme.size() && readme[start] != "<!-- formula examples -->") ++start;
  ASSERT_LT(start + 1, readme.size()) << "no formula examples in README.md";
  ASSERT_EQ(readme[start + 1], "```sh");
  int examples = 0;
  for (size_t i = start + 2; i + 1 < readme.size() && readme[i] != "```"; ++i) {
    if (readme[i].rfind("airpg formula ", 0) != 0) continue;
    std::vector<std::string> words = ShellWords(readme[i]);
    ASSERT_EQ(readme[i + 1].rfind("# → ", 0), 0u) << "no expected output after: " << readme[i];
    std::string expected = readme[i + 1].substr(std::string("# → ").size());
    ProcessOutput out = airpg.Run(std::vector<std::string>(words.begin() + 1, words.end()));
    EXPECT_EQ(out.exit_code, 0) << readme[i] << "\n" << out.err;
    EXPECT_EQ(Lines(out.out).empty() ? "" : Lines(out.out).front(), expected) << readme[i];
    ++examples;
  }
  EXPECT_GE(examples, 3);
}

TEST(CliFindingTest, BashCompletionOffersCommandsOptionsAndValues) {
  AirpgProcess airpg;
  ProcessOutput script = airpg.Run({"completion", "bash"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  std::filesystem::path file = airpg.home() / "airpg.bash";
  std::ofstream(file) << script.out;
  auto complete = [&](const std::string& words) {
    // COMP_WORDS as bash fills them: the last word is the one being completed.
    return Bash("source '" + file.string() + "'; COMP_WORDS=(" + words +
                "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _airpg_complete; "
                "echo \"${COMPREPLY[*]}\"");
  };
  EXPECT_EQ(complete("airpg mi"), "migrate\n");
  EXPECT_EQ(complete("airpg db st"), "start stop status\n");
  EXPECT_EQ(complete("airpg migrate --dr"), "--dry-run\n");
  EXPECT_EQ(complete("airpg migrate --output ''"), "text json\n");
  EXPECT_EQ(complete("airpg --log-format j"), "json\n");
  EXPECT_EQ(complete("airpg schema d"), "dump\n");
  EXPECT_EQ(complete("airpg completion ''"), "bash zsh -h --help\n");
  // `complete -F` registered it for airpg.
  EXPECT_EQ(Bash("source '" + file.string() + "'; complete -p airpg"),
            "complete -F _airpg_complete airpg\n");
}

TEST(CliFindingTest, ZshCompletionIsGeneratedFromTheSameCommands) {
  AirpgProcess airpg;
  ProcessOutput script = airpg.Run({"completion", "zsh"});
  ASSERT_EQ(script.exit_code, 0) << script.err;
  EXPECT_EQ(script.out.rfind("#compdef airpg\n", 0), 0u);
  EXPECT_TRUE(Contains(script.out, "'migrate:copy a base into Postgres")) << script.out;
  EXPECT_TRUE(Contains(script.out, "'airpg db')")) << script.out;
  EXPECT_TRUE(Contains(script.out, "--output) compadd -- text json; return ;;")) << script.out;
  EXPECT_TRUE(Contains(script.out, "compdef _airpg airpg")) << script.out;
  EXPECT_EQ(airpg.Run({"completion", "fish"}).exit_code, 2);
}

}  // namespace
}  // namespace airpg::testing
