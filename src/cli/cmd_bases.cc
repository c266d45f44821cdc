#include "cli/cmd_bases.h"

#include <algorithm>
#include <iostream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "airtable/bases_api.h"
#include "cli/airtable_access.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"

namespace airpg::cli {
namespace {

void PrintText(const std::vector<airtable::BaseInfo>& bases) {
  // Columns as wide as their longest value, so ids line up for copying.
  size_t id_width = 2, name_width = 4;
  for (const airtable::BaseInfo& base : bases) {
    id_width = std::max(id_width, base.id.size());
    name_width = std::max(name_width, base.name.size());
  }
  std::cout << fmt::format("{:<{}}  {:<{}}  {}\n", "ID", id_width, "NAME", name_width,
                           "PERMISSION");
  for (const airtable::BaseInfo& base : bases) {
    std::cout << fmt::format("{:<{}}  {:<{}}  {}\n", base.id, id_width, base.name, name_width,
                             base.permission_level);
  }
}

}  // namespace

int RunBases(const Config& config, const BasesOptions& options) {
  Result<AirtableAccess> airtable = OpenAirtable(config);
  if (!airtable.ok()) return Fail(airtable.status());
  Result<std::vector<airtable::BaseInfo>> bases = airtable::ListBases(*airtable->client);
  if (!bases.ok()) return Fail(bases.status().WithContext("listing the token's bases"));
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const airtable::BaseInfo& base : *bases) {
      out.push_back(
          {{"id", base.id}, {"name", base.name}, {"permissionLevel", base.permission_level}});
    }
    std::cout << nlohmann::json{{"bases", out}}.dump(2) << "\n";
  } else {
    PrintText(*bases);
  }
  return kExitOk;
}

}  // namespace airpg::cli
