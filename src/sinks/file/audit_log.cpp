#include "sinks/file/audit_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace grm::sinks::file {

namespace fs = std::filesystem;

namespace {

std::string os_error(int err) { return std::strerror(err); }

}  // namespace

audit_log::audit_log(audit_settings settings) : s_(std::move(settings)) {
  if (s_.path.empty()) return;
  std::error_code ec;
  if (auto dir = fs::path(s_.path).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  if (int err = open_file())
    throw relay_error(error_kind::config, "cannot open the audit log " + s_.path + " for appending: " + os_error(err));
}

audit_log::~audit_log() { close_file(); }

void audit_log::close_file() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int audit_log::open_file() {
  close_file();
  fd_ = ::open(s_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return errno;
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  return 0;
}

void audit_log::rotate() {
  close_file();
  std::error_code ec;
  for (int i = s_.keep; i >= 1; --i) {
    auto from = i == 1 ? s_.path : s_.path + "." + std::to_string(i - 1);
    auto to = s_.path + "." + std::to_string(i);
    if (fs::exists(from, ec)) fs::rename(from, to, ec);
  }
  if (s_.keep <= 0) fs::remove(s_.path, ec);
}

void audit_log::write(std::string_view line) {
  if (s_.path.empty()) return;
  auto fail = [this](int err) {
    close_file();  // the next write reopens the path: a freed disk or a replaced file is picked up
    throw relay_error(error_kind::storage, "cannot write to the audit log " + s_.path + ": " + os_error(err));
  };
  if (fd_ >= 0 && size_ > 0 && size_ + line.size() + 1 > s_.max_bytes) rotate();
  if (fd_ < 0)
    if (int err = open_file()) fail(err);
  std::string record = broken_line_ ? "\n" : "";
  record += line;
  record += '\n';
  auto before = size_;
  std::size_t done = 0;
  while (done < record.size()) {
    auto n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(before)) != 0)
        broken_line_ = true;  // the partial line stays: the next record starts on a line of its own
      fail(err);
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += record.size();
  ++lines_;
  broken_line_ = false;
}

}  // namespace grm::sinks::file
