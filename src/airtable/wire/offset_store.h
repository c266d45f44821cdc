// OffsetStore: the server-side iterators behind list-records `offset` tokens
// (API.md §8). The first page snapshots the ordered record ids; the token is
// "itr…/rec…" (iterator id / last record returned). Iterators expire after
// a configurable idle time on the emulated clock, after which the token gives
// 422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE; a token that is not of that shape
// gives 422 INVALID_OFFSET_VALUE.
// Thread-compatible: the owner (the emulator) guards it with its lock.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "airtable/wire/api_error.h"

namespace airpg::airtable::wire {

class OffsetStore {
 public:
  struct Position {
    const std::vector<std::string>* record_ids;  // the snapshot
    size_t next;                                 // index of the first record of this page
    std::string iterator_id;
  };

  explicit OffsetStore(int64_t ttl_millis) : ttl_millis_(ttl_millis) {}

  void set_ttl_millis(int64_t ttl) { ttl_millis_ = ttl; }
  int64_t ttl_millis() const { return ttl_millis_; }

  // Stores a snapshot for `table_id` under `iterator_id` ("itr" + 14
  // alphanumerics, drawn by the caller) and returns that id.
  std::string Create(const std::string& table_id, std::vector<std::string> record_ids,
                     int64_t now_millis, std::string iterator_id);

  // Resolves a client's offset for `table_id`, refreshing the iterator's idle time.
  ApiResult<Position> Resolve(const std::string& table_id, const std::string& offset,
                              int64_t now_millis);

  // At most this many iterators live at once; beyond it the least recently
  // used half is dropped (their offsets answer ITERATOR_NOT_AVAILABLE).
  static constexpr size_t kMaxIterators = 10000;

  // Drops every iterator (an emulated server restart).
  void Clear() { iterators_.clear(); }
  size_t size() const { return iterators_.size(); }

 private:
  struct Iterator {
    std::string table_id;
    std::vector<std::string> record_ids;
    int64_t last_used_millis;
  };
  // Sweeps expired iterators at most once per second of emulated time (or
  // when over kMaxIterators), so a request costs O(1) amortised.
  void DropExpired(int64_t now_millis);

  int64_t ttl_millis_;
  int64_t last_sweep_millis_ = 0;
  std::unordered_map<std::string, Iterator> iterators_;
};

}  // namespace airpg::airtable::wire
