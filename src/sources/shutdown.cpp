#include "sources/shutdown.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace grm::sources {

namespace asio = boost::asio;

void shutdown_signal::request() {
  requested_ = true;
  auto actions = std::move(actions_);
  actions_.clear();
  for (auto& [id, a] : actions) a();
}

std::uint64_t shutdown_signal::on_stop(std::function<void()> abort) {
  if (requested_) {
    abort();
    return 0;
  }
  actions_[++next_id_] = std::move(abort);
  return next_id_;
}

asio::awaitable<bool> shutdown_signal::sleep(std::chrono::milliseconds d) {
  if (requested_) co_return false;
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  stop_registration reg(*this, [&timer] { timer.cancel(); });
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !requested_;
}

}  // namespace grm::sources
