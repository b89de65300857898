#include "pipeline/sentiment/forwarding_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <deque>
#include <map>

#include "aws/credentials.hpp"
#include "aws/shared_config.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "delivery/idempotency_store.hpp"
#include "genesys/api.hpp"
#include "observability/metrics.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace grm::sentiment {

namespace asio = boost::asio;
using namespace std::chrono;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

constexpr auto kTick = seconds{1};  // how often due retries and periodic triggers are looked at
constexpr auto kPruneEvery = hours{1};

struct job {
  std::string conversation_id;
  std::string trigger;
  int attempt = 1;
  steady_clock::time_point not_before{};
};

std::string state_key(const job& j) { return j.conversation_id + ":" + j.trigger; }

// The forwarder writes "<conversationId>:<trigger>"; conversation ids are UUIDs (no colon).
std::optional<job> job_of_key(const std::string& key) {
  auto colon = key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == key.size()) return std::nullopt;
  job j{key.substr(0, colon), key.substr(colon + 1)};
  if (j.trigger == "alert") return std::nullopt;
  return j;
}

void export_delivery(metrics::exposition& x, const std::string& sink, const delivery::delivery_stats& s) {
  metrics::labels l{{"sink", sink}};
  x.counter("relay_sink_delivered_total", "entries a sink delivered", l, static_cast<double>(s.delivered));
  x.counter("relay_sink_rejected_total", "entries a sink dead-lettered (not retryable or out of attempts)", l,
            static_cast<double>(s.rejected));
  x.counter("relay_sink_requests_total", "requests a sink sent", l, static_cast<double>(s.requests));
  x.counter("relay_sink_request_failures_total", "requests that failed as a whole (network, 5xx, throttling)", l,
            static_cast<double>(s.request_failures));
  x.counter("relay_sink_retries_total", "entries sent again", l, static_cast<double>(s.entries_retried));
}

}  // namespace

struct forwarding_service::impl {
  impl(asio::any_io_executor ex, genesys::api_client& api, forwarding_settings s, log_fn lg, metrics::registry* m)
      : settings(std::move(s)),
        log(std::move(lg)),
        executor(ex),
        wake(ex, steady_clock::time_point::max()),
        tick(ex),
        idle(ex, steady_clock::time_point::max()) {
    state = std::make_unique<delivery::idempotency_store>(settings.state_path.empty() ? ":memory:" : settings.state_path);
    if (!settings.audit.path.empty()) audit = std::make_unique<sinks::file::audit_log>(settings.audit);
    if (settings.eventbridge) build_eventbridge(*settings.eventbridge);
    if (settings.crm) crm = std::make_unique<sinks::webhook::publisher>(client(settings.crm->http), *settings.crm);
    if (settings.alert_webhook)
      alert_hook = std::make_unique<sinks::webhook::publisher>(client(settings.alert_webhook->http), *settings.alert_webhook);
    fwd = std::make_unique<forwarder>(
        forwarder_parts{api, eventbridge.get(), crm.get(), alert_hook.get(), audit.get(), state.get(), log, m},
        settings.forwarder);
    if (m) register_metrics(*m);
  }

  // One client per sink (and one for the AWS credential endpoints): its TLS trust and pool are
  // its own. Clients live as long as the service, so references to them stay valid.
  net::http_client& client(const net::http_client_options& o) {
    return *clients.emplace_back(std::make_unique<net::http_client>(executor, o));
  }

  void build_eventbridge(eventbridge_target& t) {
    auto env = aws::process_environment();
    aws::chain_context ctx;
    ctx.env = env;
    ctx.files = aws::load_shared_files(env);
    ctx.profile = t.profile.empty() ? aws::profile_name(env) : t.profile;
    try {
      sinks::eventbridge::resolve_with_aws_config(t.settings, env, ctx.files, ctx.profile);
    } catch (const relay_error& e) {
      throw relay_error(e.kind(), std::string(e.what()) +
                                      " (or eventbridge.region in the config file; eventbridge.enabled = false forwards to the CRM webhook only)");
    }
    ctx.region = t.settings.region;
    auto credentials_options = t.credentials;
    credentials_options.tls.verify_peer = true;
    ctx.http = &client(credentials_options);
    creds = std::make_unique<aws::credentials_cache>(t.keys ? aws::static_provider(*t.keys) : aws::default_chain(ctx));
    eventbridge = std::make_unique<sinks::eventbridge::publisher>(client(t.http), *creds, t.settings);
  }

  void register_metrics(metrics::registry& m) {
    m.add_collector([this](metrics::exposition& x) {
      x.gauge("relay_forward_pending", "forward triggers queued or waiting for a retry", {},
              static_cast<double>(queue.size() + retries.size()));
      x.gauge("relay_forward_in_flight", "forwards running", {}, static_cast<double>(in_flight));
      x.counter("relay_forward_triggers_dropped_total", "triggers refused because the queue was full", {},
                static_cast<double>(counts.dropped));
      if (eventbridge) export_delivery(x, "eventbridge", eventbridge->stats());
      if (crm) export_delivery(x, "crm_webhook", crm->stats());
      if (alert_hook) export_delivery(x, "alert_webhook", alert_hook->stats());
    });
  }

  void enqueue(job j, bool resumed) {
    if (queue.size() + retries.size() >= settings.triggers.max_pending) {
      ++counts.dropped;
      if (log)
        log(severity::error, fmt::format("forward queue full ({} pending): trigger {} for conversation {} stays "
                                         "in the state database and runs after a restart",
                                         settings.triggers.max_pending, j.trigger, j.conversation_id));
      return;
    }
    resumed ? ++counts.resumed : ++counts.triggered;
    queue.push_back(std::move(j));
    wake.cancel_one();
  }

  void trigger(std::string id, std::string trigger_name) {
    job j{std::move(id), std::move(trigger_name)};
    auto e = state->begin(state_key(j), uuid_v4());  // durable before it is queued
    if (e.done) return;                               // a duplicate event or a replay
    if (queued_keys.insert(state_key(j)).second) enqueue(std::move(j), false);
  }

  asio::awaitable<void> worker() {
    for (;;) {
      while (queue.empty()) {
        if (stopping) co_return;
        co_await wake.async_wait(as_tuple(use_awaitable));
      }
      if (stopping) co_return;  // queued jobs stay pending in the state database
      auto j = std::move(queue.front());
      queue.pop_front();
      ++in_flight;
      auto r = co_await fwd->forward(j.conversation_id, j.trigger);
      --in_flight;
      ++counts.completed;
      if (r.outcome == forward_outcome::failed && j.attempt < settings.triggers.attempts) {
        state->begin(state_key(j), r.forwarding_id);  // pending again until the retry runs
        ++j.attempt;
        ++counts.retried;
        j.not_before = steady_clock::now() + settings.triggers.retry_after;
        retries.push_back(std::move(j));
      } else {
        queued_keys.erase(state_key(j));
      }
      if (report_handler) report_handler(r);
    }
  }

  // Every tick: move due retries to the queue; every `periodic`, trigger active conversations.
  void prune_state() {
    auto cutoff = duration_cast<milliseconds>((system_clock::now() - settings.triggers.state_retention).time_since_epoch());
    auto n = state->prune_finished_before(cutoff.count());
    if (n && log) log(severity::info, fmt::format("state: pruned {} finished key(s) older than {} h", n, settings.triggers.state_retention.count()));
  }

  asio::awaitable<void> ticker() {
    std::int64_t last_period = -1;
    auto next_prune = steady_clock::now();
    while (!stopping) {
      auto now = steady_clock::now();
      if (now >= next_prune) {
        prune_state();
        next_prune = now + kPruneEvery;
      }
      for (auto it = retries.begin(); it != retries.end();) {
        if (it->not_before <= now) {
          queue.push_back(std::move(*it));
          it = retries.erase(it);
          wake.cancel_one();
        } else {
          ++it;
        }
      }
      if (auto p = settings.triggers.periodic; p.count() > 0) {
        auto period = duration_cast<seconds>(system_clock::now().time_since_epoch()).count() / p.count();
        if (last_period >= 0 && period != last_period)
          for (auto& id : active) trigger(id, "periodic-" + std::to_string(period));
        last_period = period;
      }
      tick.expires_after(kTick);
      co_await tick.async_wait(as_tuple(use_awaitable));
    }
  }

  forwarding_settings settings;
  log_fn log;
  asio::any_io_executor executor;
  std::vector<std::unique_ptr<net::http_client>> clients;  // before the sinks that use them
  std::unique_ptr<delivery::idempotency_store> state;
  std::unique_ptr<sinks::file::audit_log> audit;
  std::unique_ptr<aws::credentials_cache> creds;
  std::unique_ptr<sinks::eventbridge::publisher> eventbridge;
  std::unique_ptr<sinks::webhook::publisher> crm, alert_hook;
  std::unique_ptr<forwarder> fwd;

  std::deque<job> queue;
  std::vector<job> retries;
  std::set<std::string> queued_keys;  // a key is queued at most once
  std::set<std::string> active;       // chat/message conversations started and not ended
  asio::steady_timer wake, tick, idle;
  std::size_t in_flight = 0, workers_running = 0;
  bool stopping = false;
  service_stats counts;
  std::function<void(const forward_report&)> report_handler;
};

forwarding_service::forwarding_service(asio::any_io_executor ex, genesys::api_client& api, forwarding_settings settings,
                                       log_fn log, metrics::registry* metrics)
    : impl_(std::make_unique<impl>(ex, api, std::move(settings), std::move(log), metrics)) {}

forwarding_service::~forwarding_service() = default;

asio::awaitable<forward_report> forwarding_service::forward(std::string id, std::string trigger) {
  auto r = co_await impl_->fwd->forward(std::move(id), std::move(trigger));
  if (impl_->report_handler) impl_->report_handler(r);
  co_return r;
}

void forwarding_service::on_event(const lifecycle_event& e) {
  auto& t = impl_->settings.triggers;
  const auto& f = fields_of(e);
  if (!t.media_types.contains(f.media_type) || f.conversation_id.empty()) return;
  switch (kind_of(e)) {
    case lifecycle::start:
    case lifecycle::update:
      if (t.periodic.count() > 0) impl_->active.insert(f.conversation_id);
      break;
    case lifecycle::end:
      impl_->active.erase(f.conversation_id);
      if (t.on_end) impl_->trigger(f.conversation_id, "conversation-end");
      break;
    default:
      break;
  }
}

asio::awaitable<void> forwarding_service::run() {
  auto& d = *impl_;
  for (auto& key : d.state->pending())
    if (auto j = job_of_key(key); j && d.queued_keys.insert(key).second) d.enqueue(std::move(*j), true);
  if (d.counts.resumed && d.log)
    d.log(severity::info, fmt::format("resuming {} forward trigger(s) left pending by the last run", d.counts.resumed));
  auto ex = co_await asio::this_coro::executor;
  auto finished = [&d](std::exception_ptr e) {
    if (e && d.log) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        d.log(severity::error, std::string("forwarding worker stopped: ") + x.what());
      }
    }
    if (--d.workers_running == 0) d.idle.cancel();
  };
  d.workers_running = d.settings.triggers.max_in_flight + 1;
  for (std::size_t i = 0; i < d.settings.triggers.max_in_flight; ++i) asio::co_spawn(ex, d.worker(), finished);
  asio::co_spawn(ex, d.ticker(), finished);
  while (d.workers_running > 0) co_await d.idle.async_wait(as_tuple(use_awaitable));
}

void forwarding_service::stop() {
  impl_->stopping = true;
  impl_->wake.cancel();
  impl_->tick.cancel();
}

asio::awaitable<void> forwarding_service::close() {
  if (impl_->eventbridge) co_await impl_->eventbridge->close();
  if (impl_->crm) co_await impl_->crm->close();
  if (impl_->alert_hook) co_await impl_->alert_hook->close();
}

service_stats forwarding_service::stats() const {
  auto s = impl_->counts;
  s.pending = impl_->queue.size() + impl_->retries.size();
  s.in_flight = impl_->in_flight;
  return s;
}

void forwarding_service::on_report(std::function<void(const forward_report&)> handler) {
  impl_->report_handler = std::move(handler);
}

}  // namespace grm::sentiment
