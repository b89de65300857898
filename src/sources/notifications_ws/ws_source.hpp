#pragma once
// The real transport: Notifications API channels over WebSocket. Topics are spread over as many
// channels as needed (at most topics_per_channel each, the documented 1,000); each channel runs
// as a lane that:
//  - on v2.system.socket_closing or when the channel nears its expiry, opens the replacement
//    channel first, then keeps draining the old socket for `overlap` before closing it (no gap;
//    frames seen on both are de-duplicated by the pipeline);
//  - on a drop or a silent socket (nothing, not even a heartbeat, for heartbeat_timeout),
//    reconnects with backoff and re-reads the tracked conversations (reconciliation), so an end
//    or wrapup that happened meanwhile is still emitted, once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "sources/source_context.hpp"

namespace grm::sources {

struct ws_source_options {
  std::vector<std::string> topics;
  std::size_t topics_per_channel = 1000;
  std::chrono::milliseconds heartbeat_timeout{65'000};  // heartbeats come about every 30 s
  std::chrono::seconds rotate_before_expiry{600};
  std::chrono::milliseconds overlap{2'000};
};

boost::asio::awaitable<void> run_notifications_source(source_context ctx, ws_source_options options);

// Splits topics into channel-sized groups, keeping order.
std::vector<std::vector<std::string>> split_topics(const std::vector<std::string>& topics,
                                                   std::size_t per_channel);

}  // namespace grm::sources
