#include "delivery/service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/task_group.hpp"
#include "delivery/database.hpp"
#include "delivery/sink.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"

namespace grm::delivery {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

void export_outbox(metrics::exposition& x, const outbox_stats& s) {
  auto n = [](auto v) { return static_cast<double>(v); };
  x.gauge("relay_outbox_pending", "deliveries accepted and not final", {}, n(s.pending));
  x.gauge("relay_outbox_oldest_age_seconds", "age of the oldest message with a delivery not final", {},
          s.oldest_pending_ms ? n(now_ms() - s.oldest_pending_ms) / 1000.0 : 0.0);
  x.counter("relay_outbox_accepted_total", "messages accepted", {}, n(s.accepted));
  x.counter("relay_outbox_commits_total", "group commits", {}, n(s.commits));
  x.counter("relay_outbox_full_waits_total", "accepts that waited because the outbox was full (backpressure)", {},
            n(s.full_waits));
}

}  // namespace

struct delivery_service::impl {
  impl(asio::any_io_executor ex, database& database_, outbox_limits limits, log_fn lg)
      : executor(ex),
        log(std::move(lg)),
        db(database_),
        box(ex, db, limits, log),
        letters(db),
        finals_changed(ex, steady_clock::time_point::max()),
        lease_tick(ex, steady_clock::time_point::max()),
        drivers_group(ex, [this](std::string_view name, std::exception_ptr e) {
          if (log) log(severity::error, fmt::format("delivery {} stopped: {}", name, describe(e)));
        }) {
    box.on_accepted([this](const std::string& sink) {
      for (auto& d : drivers)
        if (d->sink_id() == sink) d->wake();
    });
    box.on_final([this](const final_message& f) { on_final(f); });
    box.observes([this](const std::string& kind, std::int64_t id) { return finalisers.contains(kind) || replay_watch.contains(id); });
  }

  void on_final(const final_message& f) {
    if (replay_watch.contains(f.message_id) && !f.outcomes.empty()) {
      replayed[f.message_id] = f.outcomes.front();
      finals_changed.cancel();
    }
    if (auto it = finalisers.find(f.msg.kind); it != finalisers.end()) it->second(f);
  }

  // Renews the lease and takes what lapsed owners left: their final messages are finalised
  // here, their pending rows delivered by our drivers. A failing write (a full disk) is logged:
  // our own rows are delivered meanwhile, and the next tick tries again.
  asio::awaitable<void> hold() {
    std::size_t taken = 0;
    try {
      taken = co_await box.hold();
    } catch (const relay_error& e) {
      if (log) log(severity::error, fmt::format("outbox: renewing this process's lease: {}; trying again later", e.what()));
    }
    if (!taken) co_return;
    if (log) log(severity::info, fmt::format("outbox: took over {} delivery(ies) of a relay process that stopped", taken));
    box.finalise_leftovers();
    for (auto& drv : drivers) drv->wake();
  }

  asio::awaitable<void> keep_lease() {
    while (!stopping) {
      lease_tick.expires_after(std::max(box.limits().lease / 3, milliseconds{10}));
      co_await lease_tick.async_wait(asio::as_tuple(asio::use_awaitable));  // stop() cancels it
      if (!stopping) co_await hold();
    }
  }

  bool known(const std::string& sink) const {
    return std::any_of(drivers.begin(), drivers.end(), [&](auto& d) { return d->sink_id() == sink; });
  }

  asio::any_io_executor executor;
  log_fn log;
  database& db;
  outbox box;
  dead_letters letters;
  std::vector<std::unique_ptr<sink>> sinks;
  std::vector<std::unique_ptr<driver>> drivers;  // one per sink, same order
  std::map<std::string, outbox::finaliser> finalisers;  // by message kind
  std::map<std::int64_t, delivery_outcome> replayed;    // final outcomes of replays, by message id
  std::set<std::int64_t> replay_watch;                  // message ids of replays someone waits for
  asio::steady_timer finals_changed;
  asio::steady_timer lease_tick;
  task_group drivers_group;
  bool stopping = false;
};

delivery_service::delivery_service(asio::any_io_executor ex, database& db, outbox_limits limits, log_fn log)
    : impl_(std::make_unique<impl>(ex, db, limits, std::move(log))) {}
delivery_service::~delivery_service() = default;

void delivery_service::add_sink(std::string id, std::unique_ptr<sink> s, driver_options options) {
  auto& d = *impl_;
  d.drivers.push_back(std::make_unique<driver>(d.executor, std::move(id), *s, d.box, options, d.log));
  d.sinks.push_back(std::move(s));
}

bool delivery_service::has_sink(std::string_view id) const { return impl_->known(std::string(id)); }

std::vector<std::string> delivery_service::sink_ids() const {
  std::vector<std::string> out;
  for (auto& d : impl_->drivers) out.push_back(d->sink_id());
  return out;
}

outbox& delivery_service::box() { return impl_->box; }
dead_letters& delivery_service::dlq() { return impl_->letters; }
void delivery_service::on_final(std::string kind, outbox::finaliser f) { impl_->finalisers[std::move(kind)] = std::move(f); }

asio::awaitable<void> delivery_service::run() {
  auto& d = *impl_;
  if (d.stopping) co_return;  // stopped before it started
  co_await d.hold();
  d.box.finalise_leftovers();
  if (auto pending = d.box.stats().pending; pending && d.log)
    d.log(severity::info, fmt::format("resuming {} delivery(ies) left in the outbox by the last run", pending));
  // Rows for a sink this run does not have (renamed, removed, or not reached by this command)
  // are kept, not dropped: they are delivered when a run has that sink again.
  for (auto& [sink, n] : d.box.pending_by_sink())
    if (!d.known(sink) && d.log)
      d.log(severity::warn, fmt::format("outbox: {} delivery(ies) for sink '{}', which this run does not have, are kept "
                                        "until one does (its id in [sinks.<id>])",
                                        n, sink));
  for (auto& drv : d.drivers) d.drivers_group.spawn("driver " + drv->sink_id(), drv->run());
  d.drivers_group.spawn("outbox lease", d.keep_lease());
  co_await d.drivers_group.join();
  try {
    co_await d.box.release();  // what is left is another process's to take at once
  } catch (const relay_error& e) {
    if (d.log) d.log(severity::warn, fmt::format("outbox: releasing this process's lease: {}", e.what()));
  }
}

void delivery_service::stop() {
  impl_->stopping = true;
  impl_->finals_changed.cancel();
  impl_->lease_tick.cancel();
  for (auto& d : impl_->drivers) d->stop();  // requests in flight finish; the rest stays in the outbox
}

void delivery_service::cancel() {
  stop();
  for (auto& d : impl_->drivers) d->cancel();
}

void delivery_service::resume() {
  impl_->stopping = false;
  for (auto& d : impl_->drivers) d->resume();
}

asio::awaitable<std::vector<replay_report>> delivery_service::replay(dead_letter_filter which, milliseconds wait) {
  auto& d = *impl_;
  std::vector<replay_report> out;
  std::vector<std::int64_t> message_ids;
  for (auto& letter : d.letters.list(which)) {
    replay_report r{letter.id, letter.sink, delivery_state::pending, {}, false};
    if (!d.known(letter.sink)) {
      r.detail = "sink '" + letter.sink + "' is not in this configuration; the dead letter is kept";
      out.push_back(std::move(r));
      message_ids.push_back(0);
      continue;
    }
    message m{letter.key, letter.idempotency_key, letter.conversation_id, letter.kind, letter.payload};
    std::vector<std::string> sinks{letter.sink};
    auto* letters = &d.letters;
    std::function<void()> also = [letters, id = letter.id] { letters->mark_replayed(id); };
    auto id = co_await d.box.accept(std::move(m), std::move(sinks), std::move(also));
    d.replay_watch.insert(id);
    r.replayed = true;
    out.push_back(std::move(r));
    message_ids.push_back(id);
  }
  auto deadline = steady_clock::now() + wait;
  auto all_final = [&] {
    for (auto id : message_ids)
      if (id && !d.replayed.contains(id)) return false;
    return true;
  };
  while (!all_final() && !d.stopping && steady_clock::now() < deadline) {
    d.finals_changed.expires_at(deadline);
    co_await d.finals_changed.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto id = message_ids[i];
    if (auto it = d.replayed.find(id); id && it != d.replayed.end()) {
      out[i].state = it->second.state;
      out[i].detail = it->second.detail;
      d.replayed.erase(it);
    } else if (id) {
      out[i].detail = "still retrying; the outbox keeps it for `genesys-relay monitor`";
    }
    d.replay_watch.erase(id);
  }
  co_return out;
}

void delivery_service::add_health_checks(health::registry& health) {
  auto* d = impl_.get();
  for (auto& drv : d->drivers) health.add("sink " + drv->sink_id(), [p = drv.get()] { return p->health(); });
  health.add("outbox", [d] {
    auto s = d->box.stats();
    if (s.pending + 1 < d->box.limits().max_pending) return health::result{};
    return health::result{health::status::failing,
                          fmt::format("full: {} deliveries pending (outbox.max_pending); intake waits", s.pending)};
  });
}

void delivery_service::register_metrics(metrics::registry& m) {
  m.add_collector([d = impl_.get()](metrics::exposition& x) {
    try {
      export_outbox(x, d->box.stats());
    } catch (const std::exception&) {
      // a failing database shows in the state check; the scrape still answers
    }
    for (auto& drv : d->drivers) drv->export_metrics(x);
  });
}

std::size_t delivery_service::requests_in_flight() const {
  std::size_t n = 0;
  for (auto& d : impl_->drivers) n += d->stats().in_flight;
  return n;
}

outbox_stats delivery_service::stats() const { return impl_->box.stats(); }

}  // namespace grm::delivery
