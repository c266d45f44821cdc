#include "blobs/attachment_fetcher.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/core.h>

#include "base/clock.h"
#include "base/version.h"
#include "blobs/attachment_download.h"

namespace airpg::blobs {
namespace {

// The metadata comes from the cell as Airtable sent it now (a rename shows);
// the bytes are identified by their hash.
Attachment Stored(const Attachment& attachment, std::string sha256, std::string downloaded_type) {
  Attachment out = attachment;
  if (out.type.empty()) out.type = std::move(downloaded_type);
  out.sha256 = std::move(sha256);
  return out;
}

}  // namespace

AttachmentFetcher::AttachmentFetcher(BlobStore& store, FetcherOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.user_agent.empty()) options_.user_agent = fmt::format("airpg/{}", kVersion);
  if (!options_.sleep) {
    // A stop ends the wait at once; the retry below then sees it.
    options_.sleep = [stop = options_.stop](std::chrono::milliseconds delay) {
      SystemClock().SleepFor(delay, stop);
    };
  }
}

Result<Attachment> AttachmentFetcher::Fetch(pg::Connection& conn, const Attachment& attachment) {
  Result<Attachment> out = [&]() -> Result<Attachment> {
    if (options_.stop.stop_requested()) return CancelledError("stopped before the download");
    if (attachment.size < 0 || attachment.size > options_.max_bytes) {
      return InvalidArgumentError(
          fmt::format("size {} is outside 0..{} bytes", attachment.size, options_.max_bytes));
    }
    AIRPG_ASSIGN_OR_RETURN(std::optional<std::string> stored, StoredSha(conn, attachment));
    if (stored) {
      ++reused_;
      return Stored(attachment, std::move(*stored), "");
    }
    return Download(conn, attachment);
  }();
  if (out.ok()) return out;
  ++failed_;
  return out.status().WithContext(
      fmt::format("attachment {} ({})", attachment.id, attachment.filename));
}

Result<std::optional<std::string>> AttachmentFetcher::StoredSha(pg::Connection& conn,
                                                                const Attachment& attachment) {
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

Result<Attachment> AttachmentFetcher::Download(pg::Connection& conn, const Attachment& attachment) {
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
    Result<DownloadedBytes> got =
        DownloadAttachment(attachment.url, options_.user_agent, sink, options_.max_bytes);
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
    return Stored(attachment, std::move(got->sha256), std::move(got->content_type));
  }
}

std::vector<Result<Attachment>> AttachmentFetcher::FetchAll(
    const std::string& conninfo, const std::vector<Attachment>& attachments, int threads) {
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

  std::vector<std::optional<Result<Attachment>>> slots(unique.size());
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

  std::vector<Result<Attachment>> out;
  out.reserve(attachments.size());
  for (size_t i = 0; i < attachments.size(); ++i) {
    const std::optional<Result<Attachment>>& slot = slots[slot_of[i]];
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

}  // namespace airpg::blobs
