#include "cli/authority_config.h"

namespace airpg::cli {

sync::AuthorityConfig AuthorityConfigOf(const SyncConfig& config) {
  sync::AuthorityConfig out;
  out.authority = sync::ParseAuthority(config.authority).value_or(sync::Authority::kAirtable);
  out.conflict = sync::ParseConflictRule(config.conflict).value_or(sync::ConflictRule::kLatest);
  for (const auto& [name, table] : config.tables) {
    sync::TableAuthorityConfig t;
    if (auto a = sync::ParseAuthority(table.authority); !table.authority.empty() && a.ok()) {
      t.authority = *a;
    }
    if (auto c = sync::ParseConflictRule(table.conflict); !table.conflict.empty() && c.ok()) {
      t.conflict = *c;
    }
    for (const auto& [field, authority] : table.fields) {
      if (auto a = sync::ParseAuthority(authority); a.ok()) t.fields[field] = *a;
    }
    out.tables[name] = std::move(t);
  }
  return out;
}

}  // namespace airpg::cli
