#include "delivery/one_shot.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

#include "core/task_group.hpp"
#include "delivery/database.hpp"

namespace grm::delivery {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> accept_one(outbox& box, message m, std::int64_t& id) {
  std::vector<std::string> sinks{"one-shot"};  // named: GCC 12 miscompiles a braced temporary in an awaited call
  id = co_await box.accept(std::move(m), std::move(sinks));
}

}  // namespace

asio::awaitable<std::vector<delivery_outcome>> deliver_now_coroutine(sink& s, std::vector<message> messages,
                                                                    driver_options options, log_fn log) {
  auto ex = co_await asio::this_coro::executor;
  database db(":memory:");
  outbox box(ex, db, {}, log);
  std::map<std::int64_t, delivery_outcome> finals;
  asio::steady_timer progress(ex, std::chrono::steady_clock::time_point::max());
  box.on_final([&](const final_message& f) {
    finals[f.message_id] = f.outcomes.front();
    progress.cancel();
  });
  driver d(ex, "one-shot", s, box, options, log);
  box.on_accepted([&](const std::string&) { d.wake(); });
  task_group tasks(ex);
  tasks.spawn("driver", d.run());
  std::vector<std::int64_t> ids(messages.size());
  task_group accepts(ex);
  for (std::size_t i = 0; i < messages.size(); ++i)
    accepts.spawn("accept", accept_one(box, std::move(messages[i]), ids[i]));
  co_await accepts.join();
  if (auto e = accepts.first_error()) {
    d.stop();
    co_await tasks.join();
    std::rethrow_exception(e);
  }
  while (finals.size() < ids.size()) co_await progress.async_wait(asio::as_tuple(asio::use_awaitable));
  d.stop();
  co_await tasks.join();
  std::vector<delivery_outcome> out;
  for (auto id : ids) out.push_back(finals[id]);
  co_return out;
}

// A plain function: a caller's braced list becomes the vector here, not in a coroutine's
// parameter (GCC 12 destroys that temporary twice).
asio::awaitable<std::vector<delivery_outcome>> deliver_now(sink& s, std::vector<message> messages, driver_options options,
                                                           log_fn log) {
  return deliver_now_coroutine(s, std::move(messages), options, std::move(log));
}

}  // namespace grm::delivery
