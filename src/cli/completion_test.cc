#include "cli/completion.h"

#include <gtest/gtest.h>

namespace airpg::cli {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// airpg [--config F] { db {start | status [--output text|json]} | completion bash|zsh }
CommandSpec Tree() {
  CommandSpec start{"start", "start it", {}, {}, {}};
  CommandSpec status{
      "status", "say how it is", {{{"--output"}, "format", true, {"text", "json"}}}, {}, {}};
  CommandSpec db{
      "db", "the database", {{{"-h", "--help"}, "help", false, {}}}, {}, {start, status}};
  CommandSpec completion{"completion", "a script", {}, {"bash", "zsh"}, {}};
  return CommandSpec{"", "airpg", {{{"--config"}, "config file", true, {}}}, {}, {db, completion}};
}

TEST(CompletionTest, CommandListPadsNamesToOneWidth) {
  EXPECT_EQ(CommandList(Tree()), "  db          the database\n  completion  a script\n");
}

TEST(CompletionTest, BashStepsDownTheTreeAndCompletesValues) {
  std::string script = BashCompletion(Tree());
  EXPECT_TRUE(Contains(script, "'airpg db'|'airpg db start'|'airpg db status'|'airpg completion')"))
      << script;
  EXPECT_TRUE(Contains(script, "COMPREPLY=($(compgen -W 'db completion --config' -- \"$cur\"))"))
      << script;
  EXPECT_TRUE(Contains(script, "--config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"));
  EXPECT_TRUE(Contains(script, "--output) COMPREPLY=($(compgen -W 'text json' -- \"$cur\"))"));
  EXPECT_TRUE(Contains(script, "compgen -W 'bash zsh'")) << script;
  // A flag takes no value: no arm for it.
  EXPECT_FALSE(Contains(script, "-h|--help)")) << script;
  EXPECT_TRUE(Contains(script, "complete -F _airpg_complete airpg\n"));
}

TEST(CompletionTest, ZshDescribesEachWordAndQuotesHelp) {
  CommandSpec tree = Tree();
  tree.subcommands[0].help = "the user's database: local";
  std::string script = ZshCompletion(tree);
  EXPECT_EQ(script.rfind("#compdef airpg\n", 0), 0u);
  EXPECT_TRUE(Contains(script, "'db:the user'\\''s database: local'")) << script;
  EXPECT_TRUE(Contains(script, "'--config:config file'")) << script;
  EXPECT_TRUE(Contains(script, "--config) _files; return ;;")) << script;
  EXPECT_TRUE(Contains(script, "--output) compadd -- text json; return ;;")) << script;
}

}  // namespace
}  // namespace airpg::cli
