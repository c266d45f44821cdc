// Status: the error value every fallible call across folders returns.
// Codes are chosen by what the caller should do next (retry, back off, fix the
// input, give up), after absl::Status; docs/errors.md lists them.
// Thread-compatible: a Status is a value; copies are independent.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace airpg {

enum class StatusCode {
  kOk = 0,
  kCancelled,           // the caller asked to stop: stop quietly
  kInvalidArgument,     // the input is wrong: fix it (reject the row, dead-letter the change)
  kNotFound,            // the thing is gone: reconcile (deleted on the other side)
  kAlreadyExists,       // unique violation: take the conflict or dedupe path
  kPermissionDenied,    // not allowed: stop that job and tell the operator
  kUnauthenticated,     // bad or missing credentials: stop and tell the operator
  kResourceExhausted,   // rate limited or out of resources: wait out the penalty, same call again
  kFailedPrecondition,  // the system is not in the needed state: fix the state first
  kAborted,             // serialization failure, deadlock: retry the whole transaction
  kUnavailable,         // transient outage (5xx, lost connection): back off and retry
  kDeadlineExceeded,    // took too long: retry if idempotent, else give up
  kUnimplemented,       // not supported: give up, report
  kInternal,            // a broken invariant: a bug; dead-letter and alert
  kDataLoss,            // data corrupted or truncated: give up, alert
};

// The stable upper-snake name of a code, as printed and listed in docs/errors.md.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status carries no allocation.
  Status() = default;
  Status(StatusCode code, std::string_view message);

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  std::string_view message() const;

  // "CODE: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "context: message"; OK stays OK.
  Status WithContext(std::string_view context) const;

  // Mark that the caller deliberately drops this status.
  void IgnoreError() const {}

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<State> state_;
};

// Whether repeating the same operation later may succeed (kUnavailable,
// kResourceExhausted, kAborted, kDeadlineExceeded).
bool IsTransient(StatusCode code);

Status CancelledError(std::string_view message);
Status InvalidArgumentError(std::string_view message);
Status NotFoundError(std::string_view message);
Status AlreadyExistsError(std::string_view message);
Status PermissionDeniedError(std::string_view message);
Status UnauthenticatedError(std::string_view message);
Status ResourceExhaustedError(std::string_view message);
Status FailedPreconditionError(std::string_view message);
Status AbortedError(std::string_view message);
Status UnavailableError(std::string_view message);
Status DeadlineExceededError(std::string_view message);
Status UnimplementedError(std::string_view message);
Status InternalError(std::string_view message);
Status DataLossError(std::string_view message);

}  // namespace airpg

// Returns from the enclosing function when `expr` (a Status) is not OK.
#define AIRPG_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::airpg::Status airpg_status_ = (expr);        \
    if (!airpg_status_.ok()) return airpg_status_; \
  } while (false)
