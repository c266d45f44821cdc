// Spool: where the bytes of one attachment download wait until a BlobStore
// takes them. Small downloads (most attachments) stay in memory; past
// `memory_limit` everything moves to a temporary file, so a large file is
// never held whole in memory. The temporary file is unnamed (O_TMPFILE), so
// it is gone with the spool — even when the process is killed — unless the
// store gave it a name (RenameTo).
// Thread-compatible: one download writes one Spool.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace airpg::blobs {

class Spool {
 public:
  // Temporary files are created in `directory` (which must exist). With
  // memory_limit 0 the bytes go to a file from the first one, as the
  // directory store wants: its file is renamed into place, never copied.
  Spool(std::string directory, size_t memory_limit);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&&) = delete;
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  // Closes and deletes the temporary file, if it still has one.
  ~Spool();

  Status Append(std::string_view piece);

  // Drops what was written, deleting the temporary file if there is one.
  void Reset();

  int64_t size() const { return size_; }
  bool in_memory() const { return fd_ < 0; }
  // REQUIRES: in_memory().
  const std::string& memory() const { return memory_; }

  // Hands the content to `sink` in order, in pieces of at most `chunk` bytes.
  Status ReadChunks(size_t chunk, const std::function<Status(std::string_view)>& sink) const;

  // Writes the content to a file (if still in memory), flushes it to disk and
  // renames it to `target`, which must be on the same file system, so a
  // reader sees either no file or the whole file under that name. Afterwards
  // the spool is empty and owns no file. The caller fsyncs target's directory.
  Status RenameTo(const std::string& target);

 private:
  // Moves the in-memory bytes into a new temporary file.
  Status Spill();
  // Gives the unnamed file open as `fd` the name `target`, replacing a file
  // of that name.
  static Status LinkUnnamed(int fd, const std::string& target);

  std::string directory_;
  size_t memory_limit_;
  std::string memory_;  // the content while in_memory()
  int fd_ = -1;         // the temporary file once spilled
  std::string path_;    // its name; empty when unnamed (O_TMPFILE) or none
  int64_t size_ = 0;
};

// fsyncs a directory, so a rename or unlink in it survives a crash.
Status SyncDirectory(const std::string& directory);

}  // namespace airpg::blobs
