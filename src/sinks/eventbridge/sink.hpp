#pragma once
// The EventBridge sink: PutEvents signed with SigV4. It encodes a batch of outbox entries (Source,
// DetailType by the message's kind, Detail = the payload, which carries the forwardingId), sends
// one request and classifies the answer per entry; the shared driver does the rest.
#include <memory>

#include "delivery/sink.hpp"
#include "sinks/eventbridge/config.hpp"
#include "sinks/eventbridge/request_builder.hpp"

namespace grm::net {
class http_client;
}
namespace grm::aws {
class credentials_cache;
}

namespace grm::sinks::eventbridge {

class sink final : public delivery::sink {
 public:
  // `http` and `credentials` must outlive the sink.
  sink(net::http_client& http, aws::credentials_cache& credentials, eventbridge_settings settings);
  ~sink() override;

  delivery::batch_limits limits() const override;
  std::size_t entry_size(const delivery::entry& e) const override;
  boost::asio::awaitable<delivery::send_result> send(const std::vector<const delivery::entry*>& batch) override;
  // PutEvents with no entries: AWS checks the signature first, then answers ValidationException
  // for the empty list, so the endpoint, Region and credentials are shown and nothing is put.
  boost::asio::awaitable<delivery::probe_result> probe() override;
  const eventbridge_settings& settings() const noexcept;

  put_entry to_put_entry(const delivery::entry& e) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sinks::eventbridge
