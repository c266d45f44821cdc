// The authority matrix of the config (sync.authority, sync.conflict,
// sync.tables.<T>.{authority,conflict,fields}) as sync::AuthorityConfig;
// config.cc has checked every value already. Pure.
#pragma once

#include "cli/config.h"
#include "sync/authority.h"

namespace airpg::cli {

sync::AuthorityConfig AuthorityConfigOf(const SyncConfig& sync);

}  // namespace airpg::cli
