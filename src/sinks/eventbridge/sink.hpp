#pragma once
// The EventBridge sink: PutEvents signed with SigV4, behind the shared delivery layer (batches of
// at most 10 entries and `max_request_bytes`, linger, bounded concurrency, retries of only the
// entries that failed retryably). publish() completes with the entry's EventId or the reason it
// was dead-lettered.
#include <boost/asio/awaitable.hpp>

#include <memory>

#include "delivery/batch_sink.hpp"
#include "sinks/eventbridge/config.hpp"
#include "sinks/eventbridge/request_builder.hpp"

namespace grm::net {
class http_client;
}
namespace grm::aws {
class credentials_cache;
}

namespace grm::sinks::eventbridge {

class publisher final {
 public:
  // `http` and `credentials` must outlive the publisher; call close() before destroying it.
  publisher(net::http_client& http, aws::credentials_cache& credentials, eventbridge_settings settings);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  boost::asio::awaitable<delivery::outcome> publish(put_entry entry);
  boost::asio::awaitable<void> drain();
  boost::asio::awaitable<void> close();
  void abort();  // shutdown's hard phase: queued and in-flight entries end as ShuttingDown
  delivery::delivery_stats stats() const;
  const eventbridge_settings& settings() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sinks::eventbridge
