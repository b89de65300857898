#include "core/task_group.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <vector>

namespace grm {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

asio::awaitable<void> sleep_then(milliseconds d, bool fail) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
  if (fail) throw std::runtime_error("worker broke");
}

// A named coroutine, not an invoked lambda: a lambda's captures die with its closure.
asio::awaitable<void> wait_forever(int& aborted) {
  asio::steady_timer t(co_await asio::this_coro::executor, steady_clock::time_point::max());
  auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec == asio::error::operation_aborted) ++aborted;
}

TEST(TaskGroup, JoinWaitsForEveryTaskAndReportsOneThatThrewByName) {
  asio::io_context ioc;
  std::vector<std::string> reported;
  task_group g(ioc.get_executor(), [&](std::string_view name, std::exception_ptr e) {
    reported.push_back(std::string(name) + ": " + describe(e));
  });
  g.spawn("a", sleep_then(milliseconds{5}, false));
  g.spawn("b", sleep_then(milliseconds{1}, true));
  g.spawn("c", sleep_then(milliseconds{10}, false));
  bool joined = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await g.join();
    joined = true;
    EXPECT_EQ(g.running(), 0u);
  }, asio::detached);
  ioc.run();
  EXPECT_TRUE(joined);
  EXPECT_EQ(reported, std::vector<std::string>{"b: worker broke"});
  EXPECT_TRUE(g.first_error());
}

TEST(TaskGroup, CancelEndsTasksWaitingForever) {
  asio::io_context ioc;
  int aborted = 0;
  task_group g(ioc.get_executor());
  for (int i = 0; i < 3; ++i) g.spawn("waiter", wait_forever(aborted));
  bool joined = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await g.join();
    joined = true;
  }, asio::detached);
  asio::steady_timer later(ioc, milliseconds{5});
  later.async_wait([&](auto) { g.cancel(); });
  ioc.run();
  EXPECT_TRUE(joined);
  EXPECT_EQ(aborted, 3);
}

TEST(TaskGroup, JoinOfAnEmptyGroupReturnsAtOnce) {
  asio::io_context ioc;
  task_group g(ioc.get_executor());
  bool joined = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await g.join();
    joined = true;
  }, asio::detached);
  ioc.run();
  EXPECT_TRUE(joined);
}

}  // namespace
}  // namespace grm
