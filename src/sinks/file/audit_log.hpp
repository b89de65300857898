#pragma once
// The compliance audit log: one JSON object per line, appended with one write(2) per record and
// rotated by size (path → path.1 → ... → path.N, the oldest dropped), like logrotate's copy-less
// scheme. Created with mode 0600: records name conversations and outcomes.
//
// A failed write (disk full, I/O error, a path that became unwritable) throws
// relay_error(storage) naming the file and the OS error; a partly written line is cut off again,
// so the file stays valid JSON lines. The next write reopens the path, so a freed disk or a
// replaced file is picked up without a restart. Keeping the unwritten record is the caller's
// job (sinks/file/audit_trail.hpp).
#include <cstddef>
#include <string>
#include <string_view>

namespace grm::sinks::file {

struct audit_settings {
  std::string path;                       // empty: no audit log
  std::size_t max_bytes = 64u << 20;      // rotate before a line would pass this size
  int keep = 5;                           // rotated files kept
};

class audit_log final {
 public:
  explicit audit_log(audit_settings settings);  // throws relay_error(config) naming the path and the OS error
  ~audit_log();
  audit_log(const audit_log&) = delete;
  audit_log& operator=(const audit_log&) = delete;

  void write(std::string_view json_line);  // a complete JSON object, no newline
  std::size_t lines_written() const noexcept { return lines_; }
  const audit_settings& settings() const noexcept { return s_; }

 private:
  int open_file();  // returns errno, 0 on success
  void rotate();
  void close_file() noexcept;
  audit_settings s_;
  int fd_ = -1;
  bool broken_line_ = false;  // a failed write left part of a line that could not be cut off
  std::size_t size_ = 0, lines_ = 0;
};

}  // namespace grm::sinks::file
