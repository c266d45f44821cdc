#include "cli/man_page.h"

#include <gtest/gtest.h>

namespace airpg::cli {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ManPageTest, EscapesWhatRoffWouldRead) {
  EXPECT_EQ(RoffEscape("--base app…"), "\\-\\-base app\\[u2026]");
  EXPECT_EQ(RoffEscape("a → b — ü 😀"), "a \\[u2192] b \\[u2014] \\[u00FC] \\[u1F600]");
  EXPECT_EQ(RoffEscape("a\\b"), "a\\eb");
  EXPECT_EQ(RoffEscape(".hidden"), "\\&.hidden");
  EXPECT_EQ(RoffEscape("'quoted'"), "\\&'quoted'");
}

TEST(ManPageTest, EveryCommandHasASubsectionWithItsOptions) {
  CommandSpec root{"airpg", "move a base", {}, {}, {}};
  root.options.push_back({{"-h", "--help"}, "help", false, {}});
  root.options.push_back({{"--quiet", "-q"}, "no progress", false, {}});
  CommandSpec db{"db", "the cluster", {}, {}, {}};
  db.subcommands.push_back({"start", "start it", {}, {}, {}});
  CommandSpec status{"status", "is it up", {}, {}, {}};
  status.options.push_back({{"--output"}, "report format", true, {"text", "json"}});
  db.subcommands.push_back(status);
  root.subcommands.push_back(db);
  CommandSpec completion{"completion", "a script", {}, {"bash", "zsh"}, {}};
  root.subcommands.push_back(completion);

  std::string page = ManPage(root);
  EXPECT_EQ(page.rfind(".\\\"", 0), 0u);
  EXPECT_TRUE(Contains(page, ".TH AIRPG 1")) << page;
  for (const char* section : {".SS \"airpg db\"", ".SS \"airpg db start\"",
                              ".SS \"airpg db status\"", ".SS \"airpg completion\""}) {
    EXPECT_TRUE(Contains(page, section)) << section;
  }
  EXPECT_TRUE(Contains(page, "\\fB\\-\\-output\\fR \\fItext|json\\fR\nreport format")) << page;
  EXPECT_TRUE(Contains(page, "\\fB\\-\\-quiet\\fR, \\fB\\-q\\fR\nno progress")) << page;
  EXPECT_TRUE(Contains(page, "Argument: \\fIbash | zsh\\fR")) << page;
  EXPECT_FALSE(Contains(page, "\\-\\-help\\fR\nhelp")) << "--help is said once, not per command";
}

}  // namespace
}  // namespace airpg::cli
