// Webhook payloads (API.md §6.5): turns a request's ChangeSet into the
// payload one hook sees, applying the hook's filters (dataTypes,
// recordChangeScope, changeTypes, fromSources, watchDataInFieldIds) and
// includes (includeCellValuesInFieldIds, includePreviousCellValues), with
// cell values in the webhook ("V2") format. Pure; called under the service lock.
#pragma once

#include "emulator/change_set.h"
#include "emulator/model.h"

namespace airpg::emulator {

struct PayloadContext {
  const Base& base;
  const Collaborator& user;
  int64_t now_millis;
  int64_t transaction_number;
};

// The payload for a hook with `specification`, or null when the hook's
// filters leave nothing of `changes`.
Json BuildPayload(const PayloadContext& ctx, const Json& specification, const ChangeSet& changes);

// A REST ("V1") cell value in the webhook ("V2") format.
Json CellV2(const Base& base, const Field& field, const Json& value);

}  // namespace airpg::emulator
