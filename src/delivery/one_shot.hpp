#pragma once
// Delivering a few messages now, through the same outbox and driver as the daemon but with an
// in-memory database: for one-shot commands (eventbridge put) and tests of a single sink.
#include <boost/asio/awaitable.hpp>

#include <vector>

#include "delivery/driver.hpp"
#include "delivery/outbox.hpp"

namespace grm::delivery {

class sink;

// Accepts every message for `s` (all at once, so they can share requests), runs a driver until
// each is final, and returns one outcome per message, in order.
boost::asio::awaitable<std::vector<delivery_outcome>> deliver_now(sink& s, std::vector<message> messages,
                                                                  driver_options options, log_fn log = {});

}  // namespace grm::delivery
