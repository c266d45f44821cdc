#include "daemon/stored_attachments.h"

namespace airpg::daemon {

// Downloads of one batch run this many at a time.
constexpr int kParallelDownloads = 4;

Result<std::unique_ptr<StoredAttachments>> StoredAttachments::Open(airtable::Client& client,
                                                                   std::string conninfo,
                                                                   const std::string& directory,
                                                                   int64_t max_bytes) {
  migrate::BlobStoreOptions options;
  options.directory = directory;
  AIRPG_ASSIGN_OR_RETURN(auto store, migrate::BlobStore::Open(options));
  return std::unique_ptr<StoredAttachments>(
      new StoredAttachments(client, std::move(conninfo), std::move(store), max_bytes));
}

namespace {

migrate::FetcherOptions WithMaxBytes(int64_t max_bytes) {
  migrate::FetcherOptions options;
  options.max_bytes = max_bytes;
  return options;
}

}  // namespace

StoredAttachments::StoredAttachments(airtable::Client& client, std::string conninfo,
                                     std::unique_ptr<migrate::BlobStore> store, int64_t max_bytes)
    : conninfo_(std::move(conninfo)),
      store_(std::move(store)),
      fetcher_(client, *store_, WithMaxBytes(max_bytes)) {}

sync::AttachmentSource StoredAttachments::source() {
  return [this](const std::vector<sync::AttachmentRequest>& requests) {
    std::vector<migrate::AttachmentToFetch> wanted;
    for (const auto& r : requests) {
      wanted.push_back({r.id, r.url, r.filename, r.size, r.type, r.width, r.height});
    }
    std::vector<Result<sync::StoredAttachmentRow>> out;
    for (auto& stored : fetcher_.FetchAll(conninfo_, wanted, kParallelDownloads)) {
      if (!stored.ok()) {
        out.push_back(stored.status());
        continue;
      }
      out.push_back(sync::StoredAttachmentRow{stored->attachment_id, stored->filename,
                                              stored->content_type, stored->size, stored->sha256,
                                              stored->width, stored->height});
    }
    return out;
  };
}

}  // namespace airpg::daemon
