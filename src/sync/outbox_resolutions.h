// ApplyResolutions: a conflict resolved by `airpg conflicts resolve` (or any
// resolution not applied yet) reaches its losing side through the running
// sync's dispatcher. The winning value is written to the Airtable record (a
// network call with no transaction open), then Airtable's answer is applied
// to the row in one short transaction that also marks the conflict applied
// and records the value as the field's base, so both sides hold it and
// neither sees a change to send back. Single-thread (one dispatcher round).
#pragma once

#include <cstdint>

#include "airtable/client.h"
#include "base/result.h"
#include "pg/connection.h"
#include "sync/conflicts.h"
#include "sync/outbox_echo.h"
#include "sync/record_applier.h"

namespace airpg::sync {

// Applies `resolved` (UnappliedResolutions of the base), oldest first;
// returns how many.
// A transient failure leaves the rest for the next round; a record deleted
// in Airtable, or a value Airtable refuses, is marked applied with a warning
// (nothing is left to write; the conflict keeps the values).
Result<int64_t> ApplyResolutions(airtable::Client& client, pg::Connection& conn,
                                 const LiveBase& base, OutboxEcho& echo,
                                 const std::vector<Conflict>& resolved);

}  // namespace airpg::sync
