#include "sinks/file/audit_trail.hpp"

#include "core/error.hpp"
#include "delivery/idempotency_store.hpp"

namespace grm::sinks::file {

namespace {
constexpr std::size_t kFlushBatch = 256;  // backlog rows read per query
const std::string kNoPath;
}  // namespace

audit_trail::audit_trail(audit_log* log, delivery::idempotency_store& backlog) : log_(log), backlog_(backlog) {
  if (log_) waiting_ = backlog_.audit_backlog_size();  // left by an earlier run
}

const std::string& audit_trail::path() const { return log_ ? log_->settings().path : kNoPath; }

std::size_t audit_trail::flush() {
  std::size_t written = 0;
  while (log_ && waiting_ > 0) {
    auto rows = backlog_.audit_backlog(kFlushBatch);
    if (rows.empty()) {
      waiting_ = 0;
      break;
    }
    for (auto& [id, line] : rows) {
      try {
        log_->write(line);
      } catch (const relay_error& e) {
        ++write_errors_;
        last_error_ = e.what();
        return written;
      }
      backlog_.drop_audit_line(id);
      --waiting_;
      ++written;
    }
  }
  last_error_.clear();
  return written;
}

audit_status audit_trail::record(std::string_view line) {
  if (!log_) return {};
  audit_status st;
  try {
    flush();  // older records first: the log stays in order
    if (waiting_ == 0) {
      log_->write(line);
      return st;
    }
    st.error = last_error_;
  } catch (const relay_error& e) {
    if (e.kind() != error_kind::storage) throw;
    ++write_errors_;
    last_error_ = st.error = e.what();
  }
  st.written = false;
  try {
    backlog_.keep_audit_line(line);
    ++waiting_;
  } catch (const relay_error& e) {
    st.error += "; the record could not be kept for a retry either: " + std::string(e.what());
  }
  return st;
}

}  // namespace grm::sinks::file
