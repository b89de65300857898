#include "topology/service.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "delivery/database.hpp"
#include "delivery/idempotency_store.hpp"
#include "genesys/api.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "observability/health.hpp"
#include "pipeline/route.hpp"
#include "sinks/file/audit_log.hpp"
#include "sinks/file/audit_trail.hpp"
#include "sources/monitor_service.hpp"

namespace grm::topology {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// State writes run on the event loop: a lock held by another process may stall it this long
// before the write is reported and retried on a later tick (WAL readers never block us).
constexpr auto kStateBusyTimeout = std::chrono::milliseconds{250};
constexpr std::size_t kLifecycleQueue = 10'000;  // lifecycle events waiting for the outbox

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// How every sink is built: its own HTTP client (kept in `clients`, which must outlive the sinks)
// and the Genesys API when there is one.
sinks::build_context sink_context(asio::any_io_executor executor, std::vector<std::unique_ptr<net::http_client>>& clients,
                                  genesys::api_client* api, log_fn log) {
  return {executor,
          [executor, &clients](const net::http_client_options& o) -> net::http_client& {
            return *clients.emplace_back(std::make_unique<net::http_client>(executor, o));
          },
          api, std::move(log)};
}

// The monitor's owner name is stable, so a restarted daemon resumes its rows at once; a one-shot
// command (forward, dlq replay) owns what it accepts while it runs, beside a running monitor.
delivery::outbox_limits outbox_of(delivery::outbox_limits limits, purpose use) {
  if (use != purpose::monitor) {
    auto name = use == purpose::forward ? "forward" : use == purpose::replay ? "replay" : "command";
    limits.owner = fmt::format("{}:{}:{}", name, ::getpid(), delivery::now_ms());
  } else {
    limits.owner = "monitor";
  }
  return limits;
}

// Where one lifecycle node (a source or a filter) sends what it passes on.
struct route {
  std::vector<const filter_plan*> filters;
  bool sentiment = false;
  std::vector<std::string> sinks;
};

}  // namespace

struct service::impl {
  impl(asio::any_io_executor ex, plan p, purpose u, log_fn lg, service_hooks h)
      : executor(ex),
        layout(std::move(p)),
        use(u),
        log(std::move(lg)),
        hooks(std::move(h)),
        delivery_log(log_of("delivery")),
        db(layout.delivery.state_path.empty() ? ":memory:" : layout.delivery.state_path, layout.delivery.sync,
           kStateBusyTimeout),
        state(db),
        delivery(ex, db, outbox_of(layout.delivery.outbox, u), delivery_log) {
    if (use != purpose::inspect) {
      auto& g = layout.genesys;
      session = std::make_unique<genesys::api_session>(ex, g.http, g.login_base, g.api_base, g.credentials, g.api_retry);
      session->api.budget().set_log(log_of("genesys"));
      if (hooks.metrics) session->api.budget().register_metrics(*hooks.metrics);
    }
    build_sinks();
    if (wants_sentiment()) build_sentiment();
    if (use == purpose::monitor) build_monitor();
    if (hooks.metrics) delivery.register_metrics(*hooks.metrics);
    if (hooks.health) delivery.add_health_checks(*hooks.health);
  }

  bool wants_sentiment() const { return layout.runs_sentiment(use); }

  void build_sinks() {
    if (use == purpose::inspect) return;
    auto ctx = sink_context(executor, clients, session ? &session->api : nullptr, log_of("sinks"));
    for (auto& s : layout.sinks) {
      if (!layout.builds(s, use)) continue;
      delivery.add_sink(s.id, s.component->build(ctx), s.component->delivery);
    }
  }

  std::vector<sentiment::target> targets(const std::string& output) const {
    std::vector<sentiment::target> out;
    for (auto& s : layout.sinks)
      if (contains(s.inputs, output) && delivery.has_sink(s.id)) out.push_back({s.id, std::string(s.component->type())});
    return out;
  }

  void build_sentiment() {
    auto& sp = *layout.sentiment;
    if (!layout.audit.path.empty()) audit_file = std::make_unique<sinks::file::audit_log>(layout.audit);
    audit = std::make_unique<sinks::file::audit_trail>(audit_file.get(), state);
    sentiment::forwarding_parts parts{delivery, state, *audit, targets(sp.id), targets(sp.id + ".alerts")};
    forwarding = std::make_unique<sentiment::forwarding_service>(executor, session->api, sp.settings, std::move(parts), log_of("sentiment"),
                                                                 hooks.metrics);
    if (hooks.on_report) forwarding->on_report(hooks.on_report);
    if (hooks.health) forwarding->add_health_checks(*hooks.health);
  }

  void build_monitor() {
    if (layout.sources.empty()) return;  // the caller feeds the sentiment transform
    for (auto& s : layout.sources) routes[s.id] = route_of(s.id);
    for (auto& f : layout.filters) routes[f.id] = route_of(f.id);
    bool lifecycle_sinks = false;
    for (auto& [id, r] : routes) lifecycle_sinks = lifecycle_sinks || !r.sinks.empty();
    if (lifecycle_sinks) {
      publisher = std::make_unique<pipeline::lifecycle_publisher>(executor, delivery.box(), kLifecycleQueue, log_of("pipeline"));
      if (hooks.metrics) publisher->register_metrics(*hooks.metrics);
    }
    router.on_any([this](const lifecycle_event& e) { dispatch(e); });
    monitor = std::make_unique<sources::monitor_service>(executor, *session, layout.monitor, router, log_of("sources"),
                                                         hooks.on_stream_error);
    if (hooks.health) monitor->add_health_checks(*hooks.health);
    if (forwarding) forwarding->set_streams_connected([m = monitor.get()] { return m->streams_connected(); });
  }

  route route_of(const std::string& id) const {
    route r;
    for (auto& f : layout.filters)
      if (contains(f.inputs, id)) r.filters.push_back(&f);
    r.sentiment = forwarding && contains(layout.sentiment->inputs, id);
    for (auto& s : layout.sinks)
      if (contains(s.inputs, id) && delivery.has_sink(s.id)) r.sinks.push_back(s.id);
    return r;
  }

  const std::string* source_of(const lifecycle_event& e) const {
    auto t = sources::transport_of(fields_of(e).origin);
    for (auto& s : layout.sources)
      if (s.type == t) return &s.id;
    return nullptr;
  }

  // One event down the graph: each consumer gets it once, however many paths reach it.
  void dispatch(const lifecycle_event& e) {
    if (hooks.on_event) hooks.on_event(e);
    auto* from = source_of(e);
    if (!from) return;
    bool to_sentiment = false;
    std::set<std::string> sinks_for;
    std::set<std::string> seen;
    std::vector<const std::string*> todo{from};
    while (!todo.empty()) {
      auto id = *todo.back();
      todo.pop_back();
      if (!seen.insert(id).second) continue;
      auto& r = routes.at(id);
      to_sentiment = to_sentiment || r.sentiment;
      sinks_for.insert(r.sinks.begin(), r.sinks.end());
      for (auto* f : r.filters)
        if (f->filter.accepts(e)) todo.push_back(&f->id);
    }
    if (to_sentiment) forwarding->on_event(e);
    if (!sinks_for.empty()) publisher->publish(e, {sinks_for.begin(), sinks_for.end()});
  }

  asio::awaitable<void> run_monitor() {
    std::exception_ptr failure;
    try {
      co_await monitor->run();
    } catch (...) {
      failure = std::current_exception();
    }
    stop();  // the streams ended (signal or fatal error): the rest finishes what it holds
    if (failure) std::rethrow_exception(failure);
  }

  // A branch of the service that ends with it; its failure waits until the others have stopped.
  asio::awaitable<void> branch(asio::awaitable<void> work, std::exception_ptr& failure) {
    try {
      co_await std::move(work);
    } catch (...) {
      if (!failure) failure = std::current_exception();
      stop();
    }
  }

  asio::awaitable<void> idle() { co_return; }

  asio::awaitable<void> run() {
    if (stopping && !ran) co_return;  // stop() before the first run() wins; a later run() starts again
    stopping = false;
    ran = true;
    delivery.resume();
    std::exception_ptr failure;
    auto streams = monitor ? run_monitor() : idle();
    auto forwards = forwarding && use == purpose::monitor ? forwarding->run() : idle();
    auto lifecycle = publisher ? publisher->run() : idle();
    co_await (branch(std::move(streams), failure) && branch(std::move(forwards), failure) &&
              branch(std::move(lifecycle), failure) && branch(delivery.run(), failure));
    if (audit && audit->waiting()) audit->flush();
    if (failure) std::rethrow_exception(failure);
  }

  void stop() {
    stopping = true;
    if (monitor) monitor->stop();
    if (forwarding) forwarding->stop();
    if (publisher) publisher->stop();
    delivery.stop();
  }

  asio::any_io_executor executor;
  plan layout;  // the components keep what their sinks use (credentials): it outlives them
  purpose use;
  log_fn log;
  service_hooks hooks;
  log_fn log_of(std::string_view module) const { return hooks.module_log ? hooks.module_log(module) : log; }
  log_fn delivery_log;
  delivery::database db;
  delivery::idempotency_store state;
  std::vector<std::unique_ptr<net::http_client>> clients;  // before the sinks that use them
  std::unique_ptr<genesys::api_session> session;
  delivery::delivery_service delivery;
  std::unique_ptr<sinks::file::audit_log> audit_file;
  std::unique_ptr<sinks::file::audit_trail> audit;
  std::unique_ptr<sentiment::forwarding_service> forwarding;
  std::unique_ptr<pipeline::lifecycle_publisher> publisher;
  pipeline::event_router router;
  std::map<std::string, route> routes;
  std::unique_ptr<sources::monitor_service> monitor;
  bool stopping = false, ran = false;
};

service::service(asio::any_io_executor ex, plan p, purpose use, log_fn log, service_hooks hooks)
    : impl_(std::make_unique<impl>(ex, std::move(p), use, std::move(log), std::move(hooks))) {}
service::~service() = default;

asio::awaitable<void> service::run() { co_await impl_->run(); }
void service::stop() { impl_->stop(); }

void service::cancel() {
  auto& d = *impl_;
  d.stop();
  if (d.monitor) d.monitor->cancel();
  if (d.forwarding) d.forwarding->cancel();
  d.delivery.cancel();
}

sources::monitor_service* service::monitor() { return impl_->monitor.get(); }
sentiment::forwarding_service* service::forwarding() { return impl_->forwarding.get(); }
delivery::delivery_service& service::delivery() { return impl_->delivery; }
delivery::database& service::database() { return impl_->db; }
genesys::api_session* service::genesys() { return impl_->session.get(); }
const plan& service::layout() const { return impl_->layout; }
std::vector<std::string> service::built_sinks() const { return impl_->delivery.sink_ids(); }

namespace {

asio::awaitable<probe_report> probe_genesys(genesys::api_client& api) {
  probe_report r{"genesys", delivery::probe_outcome::failed, {}};
  auto base = net::redacted_url(api.api_base());
  if (base.ends_with('/')) base.pop_back();
  auto where = "GET " + base + "/api/v2/tokens/me with a client-credentials token";
  try {
    auto resp = co_await api.call(genesys::api_priority::stream, "GET", "/api/v2/tokens/me");
    if (resp.status != 200) throw genesys::status_error(resp, "GET /api/v2/tokens/me");
    r.outcome = delivery::probe_outcome::reachable;
    r.detail = where + ": HTTP 200";
  } catch (const relay_error& e) {
    r.detail = where + ": " + e.what();
  }
  co_return r;
}

asio::awaitable<probe_report> probe_sink(const std::string& id, delivery::sink& s) {
  probe_report r{"sink " + id, delivery::probe_outcome::failed, {}};
  try {
    auto p = co_await s.probe();
    r.outcome = p.outcome;
    r.detail = std::move(p.detail);
  } catch (const std::exception& e) {  // no answer: the client's message (host, TLS, timeout)
    r.detail = e.what();
  }
  co_return r;
}

}  // namespace

asio::awaitable<std::vector<probe_report>> check_connectivity(plan& p, log_fn log) {
  auto executor = co_await asio::this_coro::executor;
  std::vector<probe_report> out;
  auto g = p.genesys;
  g.api_retry.max_attempts = 1;  // a check: report the first answer, do not wait out backoffs
  genesys::api_session session(executor, g.http, g.login_base, g.api_base, g.credentials, g.api_retry);
  out.push_back(co_await probe_genesys(session.api));
  std::vector<std::unique_ptr<net::http_client>> clients;
  auto ctx = sink_context(executor, clients, &session.api, log);
  for (auto& s : p.sinks) {
    std::unique_ptr<delivery::sink> built;
    try {
      built = s.component->build(ctx);
    } catch (const relay_error& e) {  // what only building finds (no AWS Region, an unwritable file)
      out.push_back({"sink " + s.id, delivery::probe_outcome::failed, e.what()});
      continue;
    }
    out.push_back(co_await probe_sink(s.id, *built));
  }
  co_return out;
}

}  // namespace grm::topology
