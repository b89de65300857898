#pragma once
// The file sink: one payload per line (NDJSON), appended and rotated by size like the audit log
// (sinks/file/audit_log.hpp does the writing). A write that fails (disk full) is retried by the
// driver like any outage; lines already written in that batch count as delivered.
#include <memory>

#include "delivery/sink.hpp"
#include "sinks/file/audit_log.hpp"

namespace grm::sinks::file {

using file_settings = audit_settings;  // path, max_bytes, keep

class sink final : public delivery::sink {
 public:
  explicit sink(file_settings settings);  // throws relay_error(config) naming the path
  ~sink() override;
  delivery::batch_limits limits() const override { return {100, 0}; }
  boost::asio::awaitable<delivery::send_result> send(const std::vector<const delivery::entry*>& batch) override;
  // The file is opened for appending when the sink is built (that throws if it cannot be).
  boost::asio::awaitable<delivery::probe_result> probe() override;

 private:
  audit_log out_;
};

}  // namespace grm::sinks::file
