#include "migrate/attachment_fetcher.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/core.h>

#include "base/clock.h"

namespace airpg::migrate {
namespace {

// The metadata comes from the cell as Airtable sent it now (a rename shows);
// the bytes are identified by their hash.
StoredAttachment Describe(const AttachmentToFetch& attachment, std::string sha256,
                          std::string downloaded_type, bool downloaded) {
  StoredAttachment out;
  out.attachment_id = attachment.id;
  out.filename = attachment.filename;
  out.content_type = attachment.type.empty() ? std::move(downloaded_type) : attachment.type;
  out.size = attachment.size;
  out.sha256 = std::move(sha256);
  out.width = attachment.width;
  out.height = attachment.height;
  out.downloaded = downloaded;
  return out;
}

}  // namespace

AttachmentFetcher::AttachmentFetcher(airtable::Client& client, BlobStore& store,
                                     FetcherOptions options)
    : client_(client), store_(store), options_(std::move(options)) {
  if (!options_.sleep) {
    // A stop ends the wait at once; the retry below then sees it.
    options_.sleep = [stop = options_.stop](std::chrono::milliseconds delay) {
      SystemClock().SleepFor(delay, stop);
    };
  }
}

Result<StoredAttachment> AttachmentFetcher::Fetch(pg::Connection& conn,
                                                  const AttachmentToFetch& attachment) {
  Result<StoredAttachment> out = [&]() -> Result<StoredAttachment> {
    if (options_.stop.stop_requested()) return CancelledError("stopped before the download");
    if (attachment.size < 0 || attachment.size > options_.max_bytes) {
      return InvalidArgumentError(
          fmt::format("size {} is outside 0..{} bytes", attachment.size, options_.max_bytes));
    }
    AIRPG_ASSIGN_OR_RETURN(std::optional<std::string> stored, StoredSha(conn, attachment));
    if (stored) {
      ++reused_;
      return Describe(attachment, std::move(*stored), "", /*downloaded=*/false);
    }
    return Download(conn, attachment);
  }();
  if (out.ok()) return out;
  ++failed_;
  return out.status().WithContext(
      fmt::format("attachment {} ({})", attachment.id, attachment.filename));
}

Result<std::optional<std::string>> AttachmentFetcher::StoredSha(
    pg::Connection& conn, const AttachmentToFetch& attachment) {
  // Airtable never changes the bytes behind an attachment id (a new file is a
  // new attachment), so any earlier row of the id names the right blob; the
  // size check guards against a row written from different metadata.
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT b.sha256 FROM airpg.attachments a JOIN airpg.blobs b USING (sha256) "
                "WHERE a.attachment_id = $1 AND b.size = $2::bigint LIMIT 1",
                {attachment.id, std::to_string(attachment.size)}));
  if (rows.empty()) return std::optional<std::string>();
  std::string sha256(rows.Get(0, 0));
  AIRPG_ASSIGN_OR_RETURN(bool present, store_.Has(conn, sha256));
  if (!present) return std::optional<std::string>();
  return std::optional<std::string>(std::move(sha256));
}

Result<StoredAttachment> AttachmentFetcher::Download(pg::Connection& conn,
                                                     const AttachmentToFetch& attachment) {
  Backoff backoff(options_.retry);
  while (true) {
    // A fresh spool per attempt: a failed attempt's bytes are deleted with it.
    Spool spool = store_.NewSpool();
    auto sink = [&](std::string_view piece) -> Status {
      if (spool.size() + static_cast<int64_t>(piece.size()) > attachment.size) {
        return DataLossError(
            fmt::format("size mismatch: Airtable announced {} bytes, the "
                        "download has more",
                        attachment.size));
      }
      return spool.Append(piece);
    };
    Result<airtable::AttachmentDownload> got =
        client_.DownloadAttachment(attachment.url, sink, options_.max_bytes);
    if (!got.ok()) {
      StatusCode code = got.status().code();
      bool transient = code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded;
      if (transient && !options_.stop.stop_requested()) {
        if (std::optional<std::chrono::milliseconds> delay = backoff.Next()) {
          options_.sleep(*delay);
          if (options_.stop.stop_requested()) return CancelledError("stopped before a retry");
          continue;
        }
      }
      return got.status();
    }
    if (got->size != attachment.size || spool.size() != attachment.size) {
      return DataLossError(
          fmt::format("size mismatch: Airtable announced {} bytes, the "
                      "download has {}",
                      attachment.size, got->size));
    }
    AIRPG_RETURN_IF_ERROR(store_.Put(conn, got->sha256, spool));
    ++downloaded_;
    bytes_downloaded_ += got->size;
    return Describe(attachment, std::move(got->sha256), std::move(got->content_type),
                    /*downloaded=*/true);
  }
}

std::vector<Result<StoredAttachment>> AttachmentFetcher::FetchAll(
    const std::string& conninfo, const std::vector<AttachmentToFetch>& attachments, int threads) {
  // Each attachment id once: `unique` holds the first index of each id,
  // `slot_of` maps every input to its id's slot.
  std::vector<size_t> unique;
  std::vector<size_t> slot_of(attachments.size());
  std::unordered_map<std::string, size_t> slot_by_id;
  for (size_t i = 0; i < attachments.size(); ++i) {
    auto [it, inserted] = slot_by_id.emplace(attachments[i].id, unique.size());
    if (inserted) unique.push_back(i);
    slot_of[i] = it->second;
  }

  std::vector<std::optional<Result<StoredAttachment>>> slots(unique.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status connect_error;  // guarded by mu; the last failure to connect
  auto work = [&] {
    std::optional<pg::Connection> conn;
    while (true) {
      if (!conn || !conn->IsHealthy()) {
        Result<pg::Connection> opened = pg::Connection::Open(conninfo);
        if (!opened.ok()) {
          std::lock_guard lock(mu);
          connect_error = opened.status();
          return;  // the other workers take the rest
        }
        conn.emplace(std::move(opened).value());
      }
      size_t slot = next.fetch_add(1);
      if (slot >= unique.size()) return;
      slots[slot] = Fetch(*conn, attachments[unique[slot]]);
    }
  };
  int count = std::clamp(threads, 1, std::max(1, static_cast<int>(unique.size())));
  std::vector<std::thread> pool;
  for (int t = 0; t < count; ++t) pool.emplace_back(work);
  for (std::thread& thread : pool) thread.join();

  std::vector<Result<StoredAttachment>> out;
  out.reserve(attachments.size());
  for (size_t i = 0; i < attachments.size(); ++i) {
    const std::optional<Result<StoredAttachment>>& slot = slots[slot_of[i]];
    if (slot) {
      out.push_back(*slot);
    } else {  // every worker lost its connection before reaching this one
      Status lost = connect_error.ok() ? InternalError("not fetched") : connect_error;
      out.push_back(lost.WithContext(fmt::format("attachment {}", attachments[i].id)));
      ++failed_;
    }
  }
  return out;
}

FetcherStats AttachmentFetcher::stats() const {
  return {downloaded_.load(), reused_.load(), bytes_downloaded_.load(), failed_.load()};
}

}  // namespace airpg::migrate
