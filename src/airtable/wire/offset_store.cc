#include "airtable/wire/offset_store.h"

#include <algorithm>

#include "airtable/wire/ids.h"

namespace airpg::airtable::wire {

void OffsetStore::DropExpired(int64_t now_millis) {
  bool crowded = iterators_.size() > kMaxIterators;
  if (!crowded && now_millis - last_sweep_millis_ < 1000 && now_millis >= last_sweep_millis_) {
    return;
  }
  last_sweep_millis_ = now_millis;
  int64_t cutoff = now_millis - ttl_millis_;
  if (crowded) {
    std::vector<int64_t> times;
    times.reserve(iterators_.size());
    for (const auto& [id, it] : iterators_) times.push_back(it.last_used_millis);
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2),
                     times.end());
    cutoff = std::max(cutoff, times[times.size() / 2]);
  }
  for (auto it = iterators_.begin(); it != iterators_.end();) {
    if (it->second.last_used_millis <= cutoff) {
      it = iterators_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string OffsetStore::Create(const std::string& table_id, std::vector<std::string> record_ids,
                                int64_t now_millis, std::string iterator_id) {
  DropExpired(now_millis);
  iterators_[iterator_id] = Iterator{table_id, std::move(record_ids), now_millis};
  return iterator_id;
}

ApiResult<OffsetStore::Position> OffsetStore::Resolve(const std::string& table_id,
                                                      const std::string& offset,
                                                      int64_t now_millis) {
  size_t slash = offset.find('/');
  std::string iterator_id = offset.substr(0, slash);
  std::string record_id = slash == std::string::npos ? "" : offset.substr(slash + 1);
  if (!LooksLikeId(iterator_id, "itr") || !LooksLikeId(record_id, "rec")) {
    return Unprocessable("INVALID_OFFSET_VALUE", "The value of offset " + offset + " is invalid");
  }
  DropExpired(now_millis);
  auto it = iterators_.find(iterator_id);
  if (it != iterators_.end() && now_millis - it->second.last_used_millis >= ttl_millis_) {
    iterators_.erase(it);  // expired, not yet swept
    it = iterators_.end();
  }
  if (it == iterators_.end() || it->second.table_id != table_id) {
    return ApiError{422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "",
                    ApiError::Shape::kObjectNoMessage};
  }
  const auto& snapshot = it->second.record_ids;
  auto pos = std::find(snapshot.begin(), snapshot.end(), record_id);
  if (pos == snapshot.end()) {
    return Unprocessable("INVALID_OFFSET_VALUE", "The value of offset " + offset + " is invalid");
  }
  it->second.last_used_millis = now_millis;
  return Position{&snapshot, static_cast<size_t>(pos - snapshot.begin()) + 1, iterator_id};
}

}  // namespace airpg::airtable::wire
