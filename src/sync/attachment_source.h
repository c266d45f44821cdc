// AttachmentSource: how the sync turns an attachment cell Airtable sent into
// stored bytes. The sync owns this small interface; the daemon or CLI wires
// it to the migrate loader's fetcher and blob store, so both paths download
// and deduplicate the same way (the layer table keeps sync from including
// migrate). Implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace airpg::sync {

struct AttachmentRequest {
  std::string id;   // att…
  std::string url;  // signed and expiring
  std::string filename;
  int64_t size = 0;
  std::string type;
  std::optional<int64_t> width, height;
};

struct StoredAttachmentRow {
  std::string attachment_id;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  std::string sha256;
  std::optional<int64_t> width, height;
};

// Stores every request (in parallel when it can) and answers in order.
using AttachmentSource =
    std::function<std::vector<Result<StoredAttachmentRow>>(const std::vector<AttachmentRequest>&)>;

}  // namespace airpg::sync
