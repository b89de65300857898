#include "sim/loopback.hpp"

#include <boost/asio/post.hpp>

#include <future>

namespace grm::sim {

namespace asio = boost::asio;

loopback_loop::loopback_loop(const std::string& bind, std::uint16_t port) : acceptor(ioc) {
  asio::ip::tcp::endpoint ep(asio::ip::make_address(bind), port);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
  port_ = acceptor.local_endpoint().port();
}

loopback_loop::~loopback_loop() { stop(); }

void loopback_loop::start() {
  thread_ = std::thread([this] { ioc.run(); });
}

void loopback_loop::run_on_loop(const std::function<void()>& f) {
  std::promise<void> done;
  asio::post(ioc, [&] {
    f();
    done.set_value();
  });
  done.get_future().wait();
}

void loopback_loop::stop(const std::function<void()>& close_sessions) {
  if (!thread_.joinable()) return;
  run_on_loop([&] {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    if (close_sessions) close_sessions();
  });
  ioc.stop();
  thread_.join();
}

}  // namespace grm::sim
