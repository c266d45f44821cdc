// RepeatFilter: says whether a loop's failure is news. A failure that
// repeats every round until an operator acts — the outbox's "writes to
// base … are stopped" after Airtable refused the token — is logged once,
// not every few seconds for ever; a different failure, or the same one
// after a round that worked, is news again. Single-thread (one per loop).
#pragma once

#include <string>
#include <string_view>

namespace airpg::daemon {

class RepeatFilter {
 public:
  // True when `message` differs from the last one seen since the last Reset.
  bool IsNew(std::string_view message) {
    if (message == last_) return false;
    last_ = std::string(message);
    return true;
  }
  // A round worked: the next failure is news whatever it says.
  void Reset() { last_.clear(); }

 private:
  std::string last_;
};

}  // namespace airpg::daemon
