#pragma once
// The audit log with nothing lost: a record the log cannot take (disk full, I/O error) is kept
// in the state database and written, in order, before any later record once the log takes
// writes again. record() never throws for a failed audit write: it returns the error, which the
// caller reports (the forward's report, a metric, health). flush() retries the backlog; the
// service calls it on its tick.
//
// Threading: one executor, like the store and the log it uses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sinks/file/audit_log.hpp"

namespace grm::delivery {
class idempotency_store;
}

namespace grm::sinks::file {

struct audit_status {
  bool written = true;    // this record reached the log (false: kept for a retry, or lost: see error)
  std::string error;      // why not, naming the file and the OS error
};

class audit_trail final {
 public:
  // Both must outlive the trail. `log` may be null (no audit log configured): records are dropped.
  audit_trail(audit_log* log, delivery::idempotency_store& backlog);

  audit_status record(std::string_view json_line);
  std::size_t flush();  // records written from the backlog; stops at the first failure

  bool enabled() const noexcept { return log_ != nullptr; }
  std::size_t waiting() const noexcept { return waiting_; }  // records in the backlog
  const std::string& last_error() const noexcept { return last_error_; }  // empty once writes succeed again
  std::uint64_t write_errors() const noexcept { return write_errors_; }
  const std::string& path() const;

 private:
  audit_log* log_;
  delivery::idempotency_store& backlog_;
  std::size_t waiting_ = 0;
  std::string last_error_;
  std::uint64_t write_errors_ = 0;
};

}  // namespace grm::sinks::file
