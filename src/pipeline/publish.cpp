#include "pipeline/publish.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <deque>

#include "core/digest.hpp"
#include "core/task_group.hpp"
#include "delivery/outbox.hpp"
#include "observability/metrics.hpp"
#include "pipeline/filter.hpp"

namespace grm::pipeline {

namespace asio = boost::asio;

std::string lifecycle_event_id(const lifecycle_event& e) {
  const auto& f = fields_of(e);
  auto h = sha256_hex(f.conversation_id + '\n' + std::string(to_string(kind_of(e))) + '\n' + f.timestamp + '\n' + f.event_type);
  // RFC 9562 version 8 (custom): 122 bits of the hash, the version and variant bits set.
  h[12] = '8';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string lifecycle_payload(const lifecycle_event& e, const std::string& event_id) {
  const auto& f = fields_of(e);
  boost::json::object o{{"eventId", event_id},      {"type", to_string(kind_of(e))}, {"eventType", f.event_type},
                        {"conversationId", f.conversation_id}, {"timestamp", f.timestamp},     {"mediaType", f.media_type},
                        {"origin", f.origin}};
  if (auto q = event_filter::queue_of(f.origin); !q.empty()) o["queueId"] = q;
  return boost::json::serialize(o);
}

struct lifecycle_publisher::impl {
  impl(asio::any_io_executor ex, delivery::outbox& b, std::size_t max, log_fn l)
      : box(b), max_queued(max), log(std::move(l)), wake(ex, std::chrono::steady_clock::time_point::max()) {}

  struct item {
    delivery::message msg;
    std::vector<std::string> sinks;
  };
  delivery::outbox& box;
  std::size_t max_queued;
  log_fn log;
  std::deque<item> queue;
  asio::steady_timer wake;
  bool stopping = false, warned = false;
  publish_stats counts;
};

lifecycle_publisher::lifecycle_publisher(asio::any_io_executor ex, delivery::outbox& box, std::size_t max_queued, log_fn log)
    : impl_(std::make_shared<impl>(ex, box, max_queued, std::move(log))) {}
lifecycle_publisher::~lifecycle_publisher() = default;

void lifecycle_publisher::publish(const lifecycle_event& e, const std::vector<std::string>& sinks) {
  auto& d = *impl_;
  const auto& f = fields_of(e);
  if (d.queue.size() >= d.max_queued) {
    ++d.counts.dropped;
    if (!d.warned && d.log)
      d.log(severity::error, fmt::format("lifecycle events: {} wait for the outbox already; dropping {} of conversation {} "
                                         "(relay_lifecycle_dropped_total counts them)",
                                         d.queue.size(), to_string(kind_of(e)), f.conversation_id));
    d.warned = true;
    return;
  }
  d.warned = false;
  auto id = lifecycle_event_id(e);
  d.queue.push_back({delivery::message{"lifecycle:" + id, id, f.conversation_id, "lifecycle", lifecycle_payload(e, id)}, sinks});
  d.wake.cancel_one();
}

namespace {

constexpr std::size_t kWriters = 16;  // accepts waiting for the same group commit

}  // namespace

asio::awaitable<void> lifecycle_publisher::writer(std::shared_ptr<impl> self) {
  for (;;) {
    while (self->queue.empty()) {
      if (self->stopping) co_return;
      co_await self->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto next = std::move(self->queue.front());
    self->queue.pop_front();
    co_await self->box.accept(std::move(next.msg), std::move(next.sinks));
    ++self->counts.published;
  }
}

asio::awaitable<void> lifecycle_publisher::run() {
  impl_->stopping = false;  // the owner decides when a stop before the start wins
  auto ex = co_await asio::this_coro::executor;
  task_group writers(ex, [log = impl_->log](std::string_view, std::exception_ptr e) {
    if (log) log(severity::error, "lifecycle events: writing to the outbox failed: " + describe(e));
  });
  for (std::size_t i = 0; i < kWriters; ++i) writers.spawn("lifecycle writer", writer(impl_));
  co_await writers.join();
}

void lifecycle_publisher::stop() {
  impl_->stopping = true;
  impl_->wake.cancel();
}

void lifecycle_publisher::register_metrics(metrics::registry& m) {
  m.add_collector([d = impl_](metrics::exposition& x) {
    x.counter("relay_lifecycle_published_total", "lifecycle events accepted into the outbox for their sinks", {},
              static_cast<double>(d->counts.published));
    x.counter("relay_lifecycle_dropped_total", "lifecycle events dropped because too many waited for the outbox", {},
              static_cast<double>(d->counts.dropped));
  });
}

publish_stats lifecycle_publisher::stats() const {
  auto s = impl_->counts;
  s.queued = impl_->queue.size();
  return s;
}

}  // namespace grm::pipeline
