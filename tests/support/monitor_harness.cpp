#include "tests/support/monitor_harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <future>

#include "genesys/api.hpp"

namespace grm::testing {

namespace asio = boost::asio;
using namespace std::chrono;

struct monitor_harness::loop {
  asio::io_context ioc{1};
  pipeline::event_router router;
  std::unique_ptr<genesys::api_session> session;
  std::unique_ptr<sources::monitor_service> service;
  std::thread thread;
};

monitor_harness::monitor_harness(sim::genesys_simulator& sim, const sim::sim_options& so,
                                 harness_options o)
    : sim_(sim), loop_(std::make_unique<loop>()) {
  auto base = o.tls ? sim.https_url() : sim.http_url();
  connection.api_base = base;
  connection.login_base = base;
  connection.credentials = {so.client_id, secret(so.client_secret)};
  connection.http.tls.ca_pem = sim.certificate_pem();
  connection.api_retry.base = milliseconds{50};
  connection.api_retry.cap = milliseconds{2000};
  settings.use_notifications = o.notifications;
  settings.use_sse = o.sse;
  for (auto& q : so.queue_ids) settings.notifications.topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : so.user_ids) settings.notifications.topics.push_back("v2.users." + u + ".conversations");
  settings.notifications.heartbeat_timeout = o.heartbeat_timeout;
  settings.notifications.overlap = o.overlap;
  settings.sse.query_json = sources::default_sse_query({}, {});
  settings.reconnect.max_retries = o.max_retries;
  settings.reconnect.backoff.base = milliseconds{100};
  settings.reconnect.backoff.cap = milliseconds{500};
}

monitor_harness::~monitor_harness() { stop(); }

void monitor_harness::start() {
  auto& l = *loop_;
  l.router.on_any([this](const lifecycle_event& e) {
    std::lock_guard lock(mu_);
    ++routed_;
    lifecycles_[fields_of(e).conversation_id].emplace_back(to_string(kind_of(e)));
  });
  auto& c = connection;
  l.session = std::make_unique<genesys::api_session>(l.ioc.get_executor(), c.http, c.login_base, c.api_base, c.credentials,
                                                     c.api_retry);
  l.service = std::make_unique<sources::monitor_service>(
      l.ioc.get_executor(), *l.session, settings, l.router,
      [this](sources::severity, std::string_view m) {
        std::lock_guard lock(mu_);
        logs_.emplace_back(m);
      },
      [this](const pipeline::stream_error& e) {
        std::lock_guard lock(mu_);
        errors_.push_back(e.message + " [raw: " + e.raw + "] [origin: " + e.origin + "]");
      });
  asio::co_spawn(l.ioc, l.service->run(), [this](std::exception_ptr e) {
    std::lock_guard lock(mu_);
    finished_ = true;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& err) {
      fatal_ = err.what();
    }
  });
  l.thread = std::thread([&l] { l.ioc.run(); });
}

void monitor_harness::stop() {
  if (!loop_ || !loop_->thread.joinable()) return;
  asio::post(loop_->ioc, [this] { loop_->service->stop(); });
  // Two-phase: ask politely, then give it a deadline before stopping the loop hard.
  if (!wait_until([this] { return finished(); }, seconds{10})) loop_->ioc.stop();
  loop_->thread.join();
}

bool monitor_harness::wait_until(const std::function<bool()>& pred, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds{20});
  }
  return pred();
}

bool monitor_harness::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}
std::string monitor_harness::fatal_error() const {
  std::lock_guard lock(mu_);
  return fatal_;
}
std::map<std::string, std::vector<std::string>> monitor_harness::lifecycles() const {
  std::lock_guard lock(mu_);
  return lifecycles_;
}
std::vector<std::string> monitor_harness::stream_errors() const {
  std::lock_guard lock(mu_);
  return errors_;
}
std::vector<std::string> monitor_harness::log_lines() const {
  std::lock_guard lock(mu_);
  return logs_;
}
std::size_t monitor_harness::routed() const {
  std::lock_guard lock(mu_);
  return routed_;
}

template <typename T, typename F>
T monitor_harness::on_loop(F f) const {
  std::promise<T> p;
  asio::post(loop_->ioc, [&] { p.set_value(f()); });
  auto fut = p.get_future();
  if (fut.wait_for(seconds{5}) != std::future_status::ready) return T{};
  return fut.get();
}

sources::source_stats monitor_harness::stats() const {
  if (finished()) return loop_->service->stats();
  return on_loop<sources::source_stats>([this] { return loop_->service->stats(); });
}

std::size_t monitor_harness::token_refreshes() const {
  if (finished()) return loop_->service->token_refreshes();
  return on_loop<std::size_t>([this] { return loop_->service->token_refreshes(); });
}

}  // namespace grm::testing
