#pragma once
// Two-phase shutdown for long-lived source coroutines: request() wakes every sleeper and aborts
// every registered socket, so loops see requested() and return. One executor; not thread-safe
// (post request() to the executor from a signal handler).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

namespace grm::sources {

class shutdown_signal final {
 public:
  bool requested() const noexcept { return requested_; }
  void request();

  // Sleeps for `d` or until request(); returns false when woken by shutdown.
  boost::asio::awaitable<bool> sleep(std::chrono::milliseconds d);

  // Registers an abort action (close a socket); the returned id unregisters it.
  std::uint64_t on_stop(std::function<void()> abort);
  void forget(std::uint64_t id) { actions_.erase(id); }

 private:
  bool requested_ = false;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::function<void()>> actions_;
};

// RAII registration of an abort action.
class stop_registration final {
 public:
  stop_registration(shutdown_signal& s, std::function<void()> abort)
      : s_(s), id_(s.on_stop(std::move(abort))) {}
  ~stop_registration() { s_.forget(id_); }
  stop_registration(const stop_registration&) = delete;
  stop_registration& operator=(const stop_registration&) = delete;

 private:
  shutdown_signal& s_;
  std::uint64_t id_;
};

}  // namespace grm::sources
