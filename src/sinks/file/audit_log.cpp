#include "sinks/file/audit_log.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace grm::sinks::file {

namespace fs = std::filesystem;

audit_log::audit_log(audit_settings settings) : s_(std::move(settings)) {
  if (!s_.path.empty()) open();
}

void audit_log::open() {
  std::error_code ec;
  if (auto dir = fs::path(s_.path).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  out_.open(s_.path, std::ios::app | std::ios::binary);
  if (!out_) throw relay_error(error_kind::config, "cannot open the audit log " + s_.path + " for appending");
  size_ = fs::exists(s_.path, ec) ? static_cast<std::size_t>(fs::file_size(s_.path, ec)) : 0;
}

void audit_log::rotate() {
  out_.close();
  std::error_code ec;
  for (int i = s_.keep; i >= 1; --i) {
    auto from = i == 1 ? s_.path : s_.path + "." + std::to_string(i - 1);
    auto to = s_.path + "." + std::to_string(i);
    if (fs::exists(from, ec)) fs::rename(from, to, ec);
  }
  if (s_.keep <= 0) fs::remove(s_.path, ec);
  open();
}

void audit_log::write(std::string_view line) {
  if (s_.path.empty()) return;
  if (size_ > 0 && size_ + line.size() + 1 > s_.max_bytes) rotate();
  out_ << line << '\n';
  out_.flush();
  if (!out_) throw relay_error(error_kind::config, "cannot write to the audit log " + s_.path);
  size_ += line.size() + 1;
  ++lines_;
}

}  // namespace grm::sinks::file
