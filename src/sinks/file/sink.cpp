#include "sinks/file/sink.hpp"

#include "core/error.hpp"

namespace grm::sinks::file {

sink::sink(file_settings settings) : out_(std::move(settings)) {}
sink::~sink() = default;

boost::asio::awaitable<delivery::send_result> sink::send(const std::vector<const delivery::entry*>& batch) {
  delivery::send_result r;
  for (auto* e : batch) {
    try {
      out_.write(e->msg.payload);
      r.entries.push_back({delivery::verdict::delivered, out_.settings().path, {}, {}});
    } catch (const relay_error& x) {
      // This line and the rest wait for the disk: retried with backoff, the breaker counting.
      r.entries.push_back({delivery::verdict::retry, {}, "storage", x.what()});
    }
  }
  co_return r;
}

boost::asio::awaitable<delivery::probe_result> sink::probe() {
  co_return delivery::probe_result{delivery::probe_outcome::reachable, "'" + out_.settings().path + "' is open for appending"};
}

}  // namespace grm::sinks::file
