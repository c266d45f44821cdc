// Attachment: one attachment of an Airtable cell as airpg carries it — read
// from a REST or webhook cell (airtable/cell.h), checked and checksummed
// (mapping/relation_cells.h), downloaded (sha256 filled in) and stored as its
// airpg.attachments row (blobs/). The one attachment struct of airpg; it sits
// here, in the lowest layer, because airtable/, mapping/ and blobs/ all use
// it and none of them may include another's (DESIGN.md's layer table). The
// cell's place (record, field, position) travels beside it. A value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace airpg {

struct AttachmentThumbnail {
  std::string url;
  int64_t width = 0;
  int64_t height = 0;
};

struct Attachment {
  std::string id;  // att…
  // Signed and expiring (about two hours): downloaded, never stored. "" once
  // the attachment is read back from airpg.attachments.
  std::string url;
  std::string filename;
  // Airtable's MIME type; after a download with none announced, what the
  // content host said. "" when unknown.
  std::string type;
  // Announced by Airtable (a download must match it); 0 when it sent none
  // (a reader cannot tell that from 0).
  int64_t size = 0;
  std::optional<int64_t> width;
  std::optional<int64_t> height;
  std::string sha256;  // the blob's key; "" until the bytes are stored
  // small, large, full: derived by Airtable, never stored; only cells read
  // from Airtable have them.
  std::map<std::string, AttachmentThumbnail> thumbnails;
};

}  // namespace airpg
