// CanonicalJson against its definition: for every input, the bytes of
// nlohmann's parse-then-dump (or nullopt where nlohmann refuses the text).
// Cases as written by the cell converters and by Postgres's json output, the
// edges of nlohmann's number and string handling, then seeded random texts.
#include "airtable/wire/json_text.h"

#include <gtest/gtest.h>

#include <random>

#include "airtable/wire/json_read.h"

namespace airpg::airtable::wire {
namespace {

std::optional<std::string> Reference(std::string_view text) {
  Json parsed = Json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed.dump();
}

void ExpectSame(std::string_view text) {
  EXPECT_EQ(CanonicalJson(text), Reference(text)) << "input: " << text;
}

TEST(JsonTextTest, EqualsNlohmannOnCellShapes) {
  for (std::string_view text : {
           R"("plain text")",
           R"("caf\u00e9 ☕ 𝄞")",
           R"("tab\there\nnew \"quoted\" back\\slash \/ slash")",
           R"("\u0008\u000c\u0001\u001f\u007f\u0000")",
           R"("\b\f\r")",
           R"("\ud83d\ude00 pair")",
           R"("\uD83D\uDE00 upper hex")",
           "42",
           "-7",
           "0",
           "-0",
           "1.5",
           "100.0",
           "1e3",
           "1E+3",
           "-2.5e-7",
           "0.1",
           "0.30000000000000004",
           "123456789012345678901234567890",
           "18446744073709551615",
           "18446744073709551616",
           "-9223372036854775808",
           "-9223372036854775809",
           "9223372036854775807",
           "1e400",
           "true",
           "false",
           "null",
           R"(["recA","recB"])",
           R"([ "recA" , "recB" ])",
           "[]",
           "{}",
           R"({"id" : "att1", "filename" : "a b.png", "size" : 12, "type" : "image/png"})",
           "[{\"id\" : \"att1\", \"size\" : 1}, \n {\"id\" : \"att2\", \"size\" : 2}]",
           R"({"id":"usr1","email":"a@b.c","name":"Ann"})",
           R"({"a":1,"a":2})",
           R"({"\u0061":1,"a":2})",
           R"({"k\"ey":1})",
           R"({"label":"x","url":"https://example.com/?a=1&b=2"})",
           R"({"specialValue":"NaN"})",
           R"([[[[[[]]]]]])",
           "\xEF\xBB\xBF\"bom\"",
       }) {
    ExpectSame(text);
  }
}

TEST(JsonTextTest, RefusesWhatNlohmannRefuses) {
  for (std::string_view text : {"",
                                " ",
                                "01",
                                "1.",
                                ".5",
                                "-",
                                "+1",
                                "1e",
                                "tru",
                                "nul",
                                "[1,]",
                                "{\"a\":}",
                                "{\"a\" 1}",
                                "[1 2]",
                                "\"unterminated",
                                "\"bad \\x escape\"",
                                "\"lone \\ud800\"",
                                "\"lone \\udc00\"",
                                "\"raw \x01 control\"",
                                "\"bad utf8 \xC3\x28\"",
                                "\"overlong \xC0\xAF\"",
                                "\"surrogate \xED\xA0\x80\"",
                                "1 2",
                                "[1] x",
                                "{\"a\":1,}",
                                "NaN"}) {
    ExpectSame(text);
  }
}

TEST(JsonTextTest, EqualsNlohmannOnRandomTexts) {
  // Texts built from JSON-ish pieces, valid or not, with seeded choices.
  const std::vector<std::string> pieces = {"{",
                                           "}",
                                           "[",
                                           "]",
                                           ",",
                                           ":",
                                           " ",
                                           "\n",
                                           "\"",
                                           "\"a\"",
                                           "\"b\\n\"",
                                           "\"\\u00e9\"",
                                           "\"\\ud83d\\ude00\"",
                                           "\"\\u0007\"",
                                           "1",
                                           "-0",
                                           "0.5",
                                           "1e2",
                                           "12345678901234567890",
                                           "true",
                                           "null",
                                           "\"é\"",
                                           "\\",
                                           "\"\x7f\"",
                                           "-",
                                           "."};
  std::mt19937 random(17);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(random() % 12);
    for (int k = 0; k < n; ++k) text += pieces[random() % pieces.size()];
    ExpectSame(text);
  }
  // Valid documents, built as trees and printed with spaces, as Postgres does.
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    switch (depth > 3 ? random() % 4 : random() % 6) {
      case 0:
        return std::to_string(static_cast<int64_t>(random()) - (1 << 30));
      case 1:
        return std::to_string(static_cast<double>(random()) / 7.0);
      case 2:
        return "\"s\\t" + std::to_string(random() % 100) + " é\"";
      case 3:
        return random() % 2 ? "true" : "null";
      case 4: {
        std::string out = "[";
        int items = static_cast<int>(random() % 4);
        for (int k = 0; k < items; ++k) out += (k ? ", " : " ") + value(depth + 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        int members = static_cast<int>(random() % 4);
        for (int k = 0; k < members; ++k) {
          out += (k ? ", \"k" : "\"k") + std::to_string(k) + "\" : " + value(depth + 1);
        }
        return out + "}";
      }
    }
  };
  for (int i = 0; i < 5000; ++i) ExpectSame(value(0));
}

TEST(JsonTextTest, StringsAreEscapedAsNlohmannDumps) {
  for (std::string_view text :
       {std::string_view("plain"), std::string_view("quote \" and back \\ slash / solidus"),
        std::string_view("controls \b\f\n\r\t\x01\x1f\x7f"), std::string_view("nul \0 inside", 12),
        std::string_view("utf-8 é ☕ 𝄞")}) {
    std::string out;
    AppendJsonString(out, text);
    EXPECT_EQ(out, Json(std::string(text)).dump());
  }
}

}  // namespace
}  // namespace airpg::airtable::wire
