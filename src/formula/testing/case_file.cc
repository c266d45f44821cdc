// Case file reader and the evaluator half of the runner.
#include "formula/testing/case_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "formula/civil_time.h"
#include "formula/evaluator.h"
#include "formula/time_zone.h"

#ifndef AIRPG_FORMULA_TESTDATA
#error "AIRPG_FORMULA_TESTDATA must name src/formula/testdata"
#endif

namespace airpg::formula::testing {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Result<int64_t> Millis(const std::string& text) {
  auto m = ParseIsoMillis(text);
  if (!m) return InvalidArgumentError("bad time " + text);
  return *m;
}

}  // namespace

std::vector<std::string> CaseFiles() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(AIRPG_FORMULA_TESTDATA)) {
    if (entry.path().extension() == ".test") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<Case>> ReadCaseFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open " + path);
  std::vector<Case> out;
  Case current;
  current.file = std::filesystem::path(path).filename().string();
  current.now_millis = *ParseIsoMillis("2024-03-15T12:30:45.250Z");
  current.record.record_id = "recTEST";
  current.record.created_millis = *ParseIsoMillis("2024-01-01T08:00:00.000Z");
  std::string line;
  int number = 0;
  auto fail = [&](std::string_view what) {
    return InvalidArgumentError(fmt::format("{}:{}: {}", current.file, number, what));
  };
  auto reload = [&]() -> Status {
    Record fresh;
    auto r = RecordFromJson(current.schema, current.record_json);
    if (!r.ok()) return r.status();
    fresh = std::move(*r);
    fresh.record_id = current.record.record_id;
    fresh.created_millis = current.record.created_millis;
    fresh.modified_millis = current.record.modified_millis;
    current.record = std::move(fresh);
    return Status::Ok();
  };
  while (std::getline(in, line)) {
    ++number;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t.rfind("fields:", 0) == 0) {
      current.schema = Schema();
      std::istringstream words(t.substr(7));
      std::string word;
      while (words >> word) {
        size_t colon = word.find(':');
        if (colon == std::string::npos) return fail("expected name:type");
        FieldInfo f;
        f.name = word.substr(0, colon);
        f.type = word.substr(colon + 1);
        size_t slash = f.type.find('/');
        if (slash != std::string::npos) {
          f.result_type = f.type.substr(slash + 1);
          f.type = f.type.substr(0, slash);
        }
        f.id = "fld" + f.name;
        current.schema.Add(f);
      }
      current.record_json = "{}";
      if (Status s = reload(); !s.ok()) return fail(s.message());
      continue;
    }
    if (t.rfind("record:", 0) == 0) {
      current.record_json = Trim(t.substr(7));
      if (Status s = reload(); !s.ok()) return fail(s.message());
      continue;
    }
    if (t.rfind("meta:", 0) == 0) {
      std::istringstream words(t.substr(5));
      std::string word;
      while (words >> word) {
        size_t eq = word.find('=');
        if (eq == std::string::npos) return fail("expected key=value");
        std::string key = word.substr(0, eq), value = word.substr(eq + 1);
        if (key == "id") {
          current.record.record_id = value;
        } else {
          auto m = Millis(value);
          if (!m.ok()) return fail(m.status().message());
          if (key == "created")
            current.record.created_millis = *m;
          else if (key == "modified")
            current.record.modified_millis = *m;
          else if (key == "now")
            current.now_millis = *m;
          else
            return fail("unknown meta key " + key);
        }
      }
      continue;
    }
    size_t arrow = t.rfind(" ==> ");
    if (arrow == std::string::npos) return fail("expected FORMULA ==> EXPECTED");
    Case c = current;
    c.line = number;
    c.formula = Trim(t.substr(0, arrow));
    c.expected = Trim(t.substr(arrow + 5));
    const std::string marker = "@eval-only";
    if (c.expected.size() > marker.size() &&
        c.expected.compare(c.expected.size() - marker.size(), marker.size(), marker) == 0) {
      c.eval_only = true;
      c.expected = Trim(c.expected.substr(0, c.expected.size() - marker.size()));
    }
    c.rejected = c.expected == "!ERROR";
    out.push_back(std::move(c));
  }
  return out;
}

std::string EvaluateCase(const Case& c) {
  EvalOptions options;
  options.now_millis = c.now_millis;
  options.zones = SystemTimeZones();
  auto v = EvaluateFormula(c.formula, c.schema, c.record, options);
  if (!v.ok()) return "!ERROR";
  return DebugString(*v);
}

}  // namespace airpg::formula::testing
