#include "cli/cmd_schema_dump.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "airtable/bases_api.h"
#include "cli/airtable_access.h"
#include "cli/base_checks.h"
#include "cli/error_line.h"
#include "cli/exit_code.h"

namespace airpg::cli {
int RunSchemaDump(const Config& config, const SchemaDumpOptions& options) {
  Result<std::string> base_id = ResolveBaseId(config, options.base);
  if (!base_id.ok()) return Fail(base_id.status());
  Result<AirtableAccess> airtable = OpenAirtable(config);
  if (!airtable.ok()) return Fail(airtable.status());
  Result<std::string> body = airtable::GetBaseSchemaJson(*airtable->client, *base_id);
  if (!body.ok()) {
    return Fail(ExplainBaseFailure(*airtable->client, *base_id, body.status())
                    .WithContext("reading the schema of " + *base_id));
  }
  // Indented for reading and diffing, keys in Airtable's order: the JSON is
  // Airtable's, value for value; the body as sent if it does not re-parse.
  nlohmann::ordered_json schema = nlohmann::ordered_json::parse(*body, nullptr, false);
  std::cout << (schema.is_discarded() ? *body : schema.dump(2)) << "\n";
  return kExitOk;
}

}  // namespace airpg::cli
