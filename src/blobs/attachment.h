// Attachment: one attachment of an Airtable cell as airpg carries it, from
// the cell (signed URL, announced size) through the download (sha256 filled
// in) to its airpg.attachments row. The one attachment struct that migrate,
// sync and backup share; the cell's place (record, field, position) travels
// beside it. A value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace airpg::blobs {

struct Attachment {
  std::string attachment_id;  // att…
  // Signed and expiring (about two hours): downloaded, never stored. "" once
  // the attachment is read back from airpg.attachments.
  std::string url;
  std::string filename;
  // Airtable's MIME type; after a download with none announced, what the
  // content host said. May be empty.
  std::string content_type;
  int64_t size = 0;  // announced by Airtable; a download must match it
  std::optional<int64_t> width;
  std::optional<int64_t> height;
  std::string sha256;  // the blob's key; "" until the bytes are stored
};

}  // namespace airpg::blobs
