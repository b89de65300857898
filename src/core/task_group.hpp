#pragma once
// The one owner of long-lived coroutines (workers, lanes, tickers): every task is awaited by
// join(), none is detached, and a task that ends on an exception is reported through the group's
// handler with its name — never lost silently. cancel() is the hard phase of a two-phase
// shutdown: it delivers terminal cancellation to every task still running (timers and sockets
// they await complete with operation_aborted).
//
// Header-only on purpose: core/ stays Asio-free for the fuzz build; only Asio users include it.
// Threading: one executor; spawn, join and cancel are called on it. The group's state is shared
// with its tasks, so a task may outlive the group object (it then reports to no one).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>

namespace grm {

// What an exception says, for a log line ("unknown exception" when it is not a std::exception).
inline std::string describe(std::exception_ptr e) {
  if (!e) return "no error";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

class task_group final {
 public:
  using error_handler = std::function<void(std::string_view task, std::exception_ptr error)>;

  explicit task_group(boost::asio::any_io_executor executor, error_handler on_error = {})
      : state_(std::make_shared<state>(executor, std::move(on_error))) {}
  ~task_group() {
    state_->on_error = nullptr;  // tasks still running report to no one
  }
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  void spawn(std::string name, boost::asio::awaitable<void> task) {
    auto s = state_;
    ++s->running;
    auto slot = s->signals.emplace(s->signals.end());
    boost::asio::co_spawn(
        s->executor, std::move(task),
        boost::asio::bind_cancellation_slot(slot->slot(), [s, slot, name = std::move(name)](std::exception_ptr e) {
          if (e && !(s->cancelled && is_cancellation(e))) {  // cancel() ending a task is no error
            if (!s->first_error) s->first_error = e;
            if (s->on_error) s->on_error(name, e);
          }
          // The signal is erased after the handler returns: its slot is still in use here.
          boost::asio::post(s->executor, [s, slot] { s->signals.erase(slot); });
          if (--s->running == 0) s->idle.cancel();
        }));
  }

  // Returns when every task spawned so far has ended.
  // Returns when every task spawned so far has ended. A joiner that is itself cancelled throws
  // operation_aborted rather than waiting on.
  boost::asio::awaitable<void> join() {
    auto s = state_;
    while (s->running > 0) {
      co_await s->idle.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));  // woken by cancel()
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
  }

  // Terminal cancellation of every running task (the hard phase of shutdown).
  void cancel() {
    state_->cancelled = true;
    for (auto& sig : state_->signals) sig.emit(boost::asio::cancellation_type::terminal);
  }

  std::size_t running() const noexcept { return state_->running; }
  std::exception_ptr first_error() const noexcept { return state_->first_error; }

 private:
  struct state {
    state(boost::asio::any_io_executor ex, error_handler h)
        : executor(ex), on_error(std::move(h)), idle(ex, std::chrono::steady_clock::time_point::max()) {}
    boost::asio::any_io_executor executor;
    error_handler on_error;
    boost::asio::steady_timer idle;  // never expires; cancel() wakes join()
    std::list<boost::asio::cancellation_signal> signals;
    std::size_t running = 0;
    std::exception_ptr first_error;
    bool cancelled = false;
  };

  static bool is_cancellation(std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const boost::system::system_error& x) {
      return x.code() == boost::asio::error::operation_aborted;
    } catch (...) {
      return false;
    }
  }
  std::shared_ptr<state> state_;
};

}  // namespace grm
