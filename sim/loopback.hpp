#pragma once
// What every fixture in sim/ runs on: a listening socket and an io_context on its own thread.
// Calls from test threads are posted to that thread and waited for. Included by sim/ .cpp
// files only (the public sim headers are Asio-free).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace grm::sim {

class loopback_loop final {
 public:
  explicit loopback_loop(const std::string& bind = "127.0.0.1", std::uint16_t port = 0);
  ~loopback_loop();  // stop()
  loopback_loop(const loopback_loop&) = delete;
  loopback_loop& operator=(const loopback_loop&) = delete;

  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor;

  std::uint16_t port() const noexcept { return port_; }
  void start();                                    // runs ioc on the loop's thread
  void run_on_loop(const std::function<void()>& f);  // posts f and waits until it has run
  // Closes the acceptor and runs `close_sessions` on the loop, then stops and joins. Idempotent.
  void stop(const std::function<void()>& close_sessions = {});

 private:
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace grm::sim
