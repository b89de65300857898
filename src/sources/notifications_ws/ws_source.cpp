#include "sources/notifications_ws/ws_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <random>

#include "core/error.hpp"
#include "core/time.hpp"
#include "net/websocket.hpp"

namespace grm::sources {

namespace asio = boost::asio;
using namespace std::chrono;
using namespace asio::experimental::awaitable_operators;

std::vector<std::vector<std::string>> split_topics(const std::vector<std::string>& topics,
                                                   std::size_t per_channel) {
  std::vector<std::vector<std::string>> groups;
  if (per_channel == 0) per_channel = 1;
  for (std::size_t i = 0; i < topics.size(); i += per_channel)
    groups.emplace_back(topics.begin() + static_cast<std::ptrdiff_t>(i),
                        topics.begin() + static_cast<std::ptrdiff_t>(std::min(topics.size(), i + per_channel)));
  return groups;
}

namespace {

struct live_channel {
  genesys::channel info;
  std::unique_ptr<net::websocket_connection> socket;
  std::optional<sys_ms> expires;
  std::optional<sys_ms> token_expires;  // the token that created it: the channel may end with it
  milliseconds token_margin{0};         // rotated this long before the token expires
};

// A steady-clock deadline on the wall clock, as the channel's expiry is given.
sys_ms on_wall_clock(steady_clock::time_point t) {
  return time_point_cast<milliseconds>(system_clock::now() + duration_cast<milliseconds>(t - steady_clock::now()));
}

class lane final {
 public:
  lane(source_context ctx, ws_source_options opt, std::vector<std::string> topics, std::size_t index)
      : ctx_(std::move(ctx)), opt_(std::move(opt)), topics_(std::move(topics)),
        name_("channel lane " + std::to_string(index)) {}

  asio::awaitable<void> run() {
    stream_failures failures(ctx_, name_);
    bool reconcile_due = false;
    while (!ctx_.shutdown.requested()) {
      std::string reason;
      try {
        if (!current_) current_ = co_await reopen();
        if (reconcile_due) {
          co_await reconcile();
          reconcile_due = false;
        }
        if (failures.count() > 0)
          ctx_.log(severity::info, name_ + ": connected again after " + std::to_string(failures.count()) + " failed attempt(s)");
        failures.connected();
        co_await read_current();
        reason = "socket closed";
      } catch (const relay_error& e) {
        if (is_fatal_for_streams(e.kind())) throw;
        if (ctx_.shutdown.requested()) break;
        reason = e.what();
      }
      if (ctx_.shutdown.requested()) break;
      // An unplanned drop: events meanwhile are lost (the API has no replay), so re-read state.
      if (current_) {
        last_channel_ = current_->info;
        last_token_expires_ = current_->token_expires;
        last_token_margin_ = current_->token_margin;
      }
      current_.reset();
      reconcile_due = true;
      auto delay = failures.failed(reason);
      if (failures.worth_logging())
        ctx_.log(severity::warn, name_ + ": " + reason + "; reconnecting in " + std::to_string(delay.count()) +
                                     " ms (failure " + std::to_string(failures.count()) + ")");
      co_await ctx_.shutdown.sleep(delay);
    }
    if (current_) co_await current_->socket->close();
  }

 private:
  asio::awaitable<live_channel> open_new() {
    live_channel c;
    c.info = co_await genesys::create_channel(ctx_.api);
    if (auto t = ctx_.tokens.expires_at()) {
      // Half the token's remaining life at most: a short-lived token is not rotated at once.
      c.token_expires = on_wall_clock(*t);
      c.token_margin = std::min<milliseconds>(opt_.rotate_before_expiry, duration_cast<milliseconds>(*t - steady_clock::now()) / 2);
    }
    auto results = co_await genesys::subscribe(ctx_.api, c.info.id, topics_);
    judge_subscriptions(c.info.id, results);
    co_await connect(c);
    co_return c;
  }

  // Every topic refused: the channel would carry heartbeats only, so the stream stops with the
  // reasons (the topics or the client's permissions need changing; retrying cannot help). Some
  // refused: one warning naming them, counted in relay_topics_rejected_total; the rest flows.
  void judge_subscriptions(const std::string& channel, const std::vector<genesys::topic_result>& results) {
    std::vector<std::string> refused;
    for (auto& r : results)
      if (!r.permitted) refused.push_back(r.id + " (" + (r.rejection_reason.empty() ? "no reason given" : r.rejection_reason) + ")");
    if (refused.empty()) return;
    ctx_.stats.rejected_topics += refused.size();
    auto list = fmt::format("{}", fmt::join(refused, "; "));
    if (refused.size() == results.size())
      throw relay_error(error_kind::config,
                        fmt::format("{}: every topic of channel {} was rejected, so it would receive only heartbeats: {}. "
                                    "Check the source's queues/users/topics and the OAuth client's permissions",
                                    name_, channel, list));
    ctx_.log(severity::warn, fmt::format("{}: {} of {} topics rejected on channel {}: {}; the other {} are subscribed",
                                         name_, refused.size(), results.size(), channel, list,
                                         results.size() - refused.size()));
  }

  asio::awaitable<void> connect(live_channel& c) {
    c.socket = co_await net::connect_websocket(
        ctx_.http, c.info.connect_uri,
        net::websocket_options{.idle_timeout = opt_.heartbeat_timeout});
    c.expires = parse_rfc3339(c.info.expires);
    ++ctx_.stats.connects;
    ctx_.log(severity::info, name_ + ": connected to channel " + c.info.id + " (" +
                                 std::to_string(topics_.size()) + " topics)");
  }

  // After a drop the channel and its subscriptions usually still exist: reuse them.
  asio::awaitable<live_channel> reopen() {
    bool reusable = false;  // awaited apart: GCC 12 miscompiles an await in a condition
    if (last_channel_) reusable = co_await genesys::channel_exists(ctx_.api, last_channel_->id);
    if (reusable) {
      live_channel c{*last_channel_, nullptr, std::nullopt, last_token_expires_, last_token_margin_};
      co_await connect(c);
      co_return c;
    }
    co_return co_await open_new();
  }

  enum class ending : std::uint8_t { no, channel, token };
  // A channel lives 24 h, and may end with the token that created it: rotate before either.
  ending expiring(const live_channel& c) const {
    auto now = time_point_cast<milliseconds>(system_clock::now());
    if (c.expires && now + opt_.rotate_before_expiry >= *c.expires) return ending::channel;
    if (c.token_expires && now + c.token_margin >= *c.token_expires) return ending::token;
    return ending::no;
  }

  asio::awaitable<void> read_current() {
    stop_registration reg(ctx_.shutdown, [this] {
      if (current_) current_->socket->abort();
    });
    for (;;) {
      auto text = co_await current_->socket->read();
      auto sys = ctx_.pipeline.notification(text, current_->info.id);
      bool closing = sys && sys->kind == pipeline::system_kind::socket_closing;
      auto end = expiring(*current_);
      if (closing || end != ending::no) {
        ctx_.log(severity::info, name_ + ": " +
                                     (closing ? "socket_closing received"
                                      : end == ending::channel ? "channel expires soon"
                                                               : "the token that created the channel expires soon") +
                                     "; opening the replacement channel first");
        // The replacement must not be made with the same token, which is still cached until
        // just before it expires.
        if (end == ending::token) ctx_.tokens.invalidate();
        co_await rotate();
      }
    }
  }

  asio::awaitable<void> rotate() {
    auto next = co_await open_new();
    auto old = std::move(*current_);
    *current_ = std::move(next);
    ++ctx_.stats.rotations;
    // Frames that reached the old socket while the new one was opening are still buffered
    // there: keep reading it for the overlap, then close it.
    asio::co_spawn(co_await asio::this_coro::executor,
                   drain(std::move(old.socket), old.info.id, ctx_, opt_.overlap),
                   [](std::exception_ptr) {});
  }

  static asio::awaitable<void> drain(std::unique_ptr<net::websocket_connection> socket,
                                     std::string id, source_context ctx, milliseconds overlap) {
    stop_registration reg(ctx.shutdown, [s = socket.get()] { s->abort(); });
    auto reads = [&]() -> asio::awaitable<void> {
      try {
        for (;;) ctx.pipeline.notification(co_await socket->read(), id);
      } catch (const relay_error&) {
        // The old socket ending is the expected way out of the drain.
      }
    };
    auto deadline = [&]() -> asio::awaitable<void> {
      asio::steady_timer t(co_await asio::this_coro::executor, overlap);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      socket->abort();
    };
    co_await (reads() || deadline());
  }

  asio::awaitable<void> reconcile() {
    auto ids = ctx_.pipeline.tracked_conversations();
    if (ids.empty()) co_return;
    ctx_.log(severity::info, name_ + ": reconciling " + std::to_string(ids.size()) +
                                 " tracked conversations after the reconnect");
    for (auto& id : ids) {
      if (ctx_.shutdown.requested()) co_return;
      try {
        auto body = co_await genesys::get_conversation(ctx_.api, id);
        ++ctx_.stats.reconciled;
        if (body) ctx_.pipeline.conversation(*body, "reconcile");
      } catch (const relay_error& e) {
        if (e.kind() == error_kind::auth) throw;
        ctx_.log(severity::warn, "reconciling conversation " + id + ": " + e.what());
      }
    }
  }

  source_context ctx_;
  ws_source_options opt_;
  std::vector<std::string> topics_;
  std::string name_;
  std::optional<live_channel> current_;
  std::optional<genesys::channel> last_channel_;
  std::optional<sys_ms> last_token_expires_;
  milliseconds last_token_margin_{0};
};

}  // namespace

asio::awaitable<void> run_notifications_source(source_context ctx, ws_source_options opt) {
  auto groups = split_topics(opt.topics, opt.topics_per_channel);
  if (groups.empty()) throw relay_error(error_kind::config, "monitor.topics: no topics to subscribe to (set monitor.queues, monitor.users or monitor.topics)");
  auto ex = co_await asio::this_coro::executor;
  // A small task group: every lane is awaited; the first fatal error stops the others.
  std::size_t running = groups.size();
  std::exception_ptr first_error;
  asio::steady_timer all_done(ex, steady_clock::time_point::max());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    auto l = std::make_shared<lane>(ctx, opt, groups[i], i);
    asio::co_spawn(ex, [l]() { return l->run(); },
                   [&, l](std::exception_ptr e) {
                     if (e && !first_error) {
                       first_error = e;
                       ctx.shutdown.request();
                     }
                     if (--running == 0) all_done.cancel();
                   });
  }
  while (running > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace grm::sources
