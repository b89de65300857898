#pragma once
// Open-loop load for the load tools' --rate: item i is due at start + i/rate, and its latency
// counts from then, so time spent queued behind a saturated relay is in the figures.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>

namespace grm::bench {

// Waits until item `i` is due and returns its due time; with no rate, returns now at once.
inline boost::asio::awaitable<std::chrono::steady_clock::time_point> due(std::chrono::steady_clock::time_point start,
                                                                        std::size_t i, double rate) {
  using namespace std::chrono;
  if (rate <= 0) co_return steady_clock::now();
  auto at = start + duration_cast<steady_clock::duration>(duration<double>(static_cast<double>(i) / rate));
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, at);
  co_await timer.async_wait(boost::asio::use_awaitable);
  co_return at;
}

}  // namespace grm::bench
