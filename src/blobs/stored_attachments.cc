#include "blobs/stored_attachments.h"

namespace airpg::blobs {

// Downloads of one batch run this many at a time.
constexpr int kParallelDownloads = 4;

Result<std::unique_ptr<StoredAttachments>> StoredAttachments::Open(std::string conninfo,
                                                                   const std::string& directory,
                                                                   int64_t max_bytes) {
  FetcherOptions options;
  options.max_bytes = max_bytes;
  BlobStoreOptions store_options;
  store_options.directory = directory;
  AIRPG_ASSIGN_OR_RETURN(auto store, BlobStore::Open(store_options));
  return std::unique_ptr<StoredAttachments>(
      new StoredAttachments(std::move(conninfo), std::move(store), std::move(options)));
}

StoredAttachments::StoredAttachments(std::string conninfo, std::unique_ptr<BlobStore> store,
                                     FetcherOptions options)
    : conninfo_(std::move(conninfo)),
      store_(std::move(store)),
      fetcher_(*store_, std::move(options)) {}

AttachmentSource StoredAttachments::source() {
  return [this](const std::vector<Attachment>& wanted) {
    return fetcher_.FetchAll(conninfo_, wanted, kParallelDownloads);
  };
}

}  // namespace airpg::blobs
