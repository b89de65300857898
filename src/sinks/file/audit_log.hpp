#pragma once
// The compliance audit log: one JSON object per line, appended and flushed per record, rotated
// by size (path → path.1 → ... → path.N, the oldest dropped), like logrotate's copy-less scheme.
#include <cstddef>
#include <fstream>
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
  explicit audit_log(audit_settings settings);  // throws relay_error(config) naming the path
  void write(std::string_view json_line);      // a complete JSON object, no newline
  std::size_t lines_written() const noexcept { return lines_; }
  const audit_settings& settings() const noexcept { return s_; }

 private:
  void open();
  void rotate();
  audit_settings s_;
  std::ofstream out_;
  std::size_t size_ = 0, lines_ = 0;
};

}  // namespace grm::sinks::file
