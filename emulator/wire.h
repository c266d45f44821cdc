// The emulator speaks the wire format shared with src/api/
// (src/airtable/wire/): error bodies, list parameters, offsets and tolerant
// JSON reads. This brings their names into airpg::emulator, so handlers
// read as before. Declarations only.
#pragma once

#include "airtable/wire/api_error.h"
#include "airtable/wire/json_read.h"
#include "airtable/wire/list_params.h"
#include "airtable/wire/offset_store.h"

namespace airpg::emulator {

using airtable::wire::ApiError;
using airtable::wire::ApiResult;
using airtable::wire::AsString;
using airtable::wire::AuthenticationRequired;
using airtable::wire::BadJson;
using airtable::wire::BoolAt;
using airtable::wire::IntAt;
using airtable::wire::InvalidRequest;
using airtable::wire::ListParams;
using airtable::wire::MemberAt;
using airtable::wire::ModelNotFound;
using airtable::wire::OffsetStore;
using airtable::wire::ParseBool;
using airtable::wire::ParseListBody;
using airtable::wire::ParseListQuery;
using airtable::wire::RateLimitReached;
using airtable::wire::RouteNotFound;
using airtable::wire::StringAt;
using airtable::wire::StringsAt;
using airtable::wire::UnknownFieldName;
using airtable::wire::Unprocessable;
using airtable::wire::ViewNameNotFound;

}  // namespace airpg::emulator

// The emulator's name for WIRE_ASSIGN_OR_RETURN.
#define EMU_ASSIGN_OR_RETURN(lhs, expr) WIRE_ASSIGN_OR_RETURN(lhs, expr)
