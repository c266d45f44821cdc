// AttachmentSource: how a flow that meets attachment cells (the sync's
// payloads, polls and dead-letter replays) turns them into stored blobs. A
// function, so tests pass none (the cells then become dead letters) and
// StoredAttachments (stored_attachments.h) wires the real fetcher.
// Implementations must be thread-safe.
#pragma once

#include <functional>
#include <vector>

#include "base/attachment.h"
#include "base/result.h"

namespace airpg::blobs {

// Stores every attachment (in parallel when it can) and answers in order,
// each with its sha256 set. REQUIRES: the caller holds no transaction open
// on live tables (the answers take network time).
using AttachmentSource =
    std::function<std::vector<Result<Attachment>>(const std::vector<Attachment>&)>;

}  // namespace airpg::blobs
