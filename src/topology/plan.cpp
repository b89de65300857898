#include "topology/plan.hpp"

#include "genesys/regions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/error.hpp"
#include "net/endpoint.hpp"
#include "observability/metrics_server.hpp"
#include "pipeline/config.hpp"
#include "pipeline/sentiment/config.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/file/component.hpp"
#include "sinks/genesys_attributes/component.hpp"
#include "sinks/webhook/component.hpp"

namespace grm::topology {

namespace {

[[noreturn]] void fail(std::string message) { throw relay_error(error_kind::config, std::move(message)); }

// The registry: a sink type and the parser that makes its component.
struct sink_type {
  std::string_view name;
  std::unique_ptr<sinks::component> (*parse)(const config::section&, config::env_lookup);
};
constexpr sink_type kSinkTypes[] = {
    {"eventbridge", sinks::eventbridge::parse},
    {"webhook", sinks::webhook::parse},
    {"file", sinks::file::parse},
    {"genesys_attributes", sinks::genesys_attributes::parse},
};

enum class output : std::uint8_t { lifecycle, payload, alert };

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : ",") + s;
  return "[" + out + "]";
}

// What each name an input may use carries. Read from the file, not the plan, so that a component
// that failed to parse (validate goes on) still counts as what its inputs name.
std::map<std::string, output> outputs_of(const config::document& doc) {
  std::map<std::string, output> out;
  for (auto& c : doc.components()) {
    if (c.kind == config::role::sink) continue;
    if (c.kind == config::role::transform && c.type == "sentiment") {
      out[c.id] = output::payload;
      out[c.id + ".alerts"] = output::alert;
    } else {
      out[c.id] = output::lifecycle;
    }
  }
  return out;
}

// One reading step. When the document collects (validate), a step that throws is recorded and
// the next one still runs; otherwise the first problem ends the reading.
struct steps {
  config::problem_list* problems;
  template <typename F>
  void operator()(F&& f) const {
    if (!problems) return f();
    try {
      f();
    } catch (const relay_error& e) {
      problems->add(e.what());
    }
  }
};

void check_inputs(const config::component& c, const std::map<std::string, output>& outputs) {
  auto& s = c.settings;
  for (auto& in : c.inputs) {
    auto it = outputs.find(in);
    if (it == outputs.end()) {
      std::string names;
      for (auto& [n, kind] : outputs) names += (names.empty() ? "" : ", ") + n;
      s.fail("inputs", s.qualified("inputs") + ": '" + in + "' is not a source, a transform or one of its outputs (" +
                           (names.empty() ? "there are none" : names) + ")");
    }
    if (c.kind == config::role::transform && it->second != output::lifecycle)
      s.fail("inputs", s.qualified("inputs") + ": '" + in + "' carries sentiment " +
                           (it->second == output::alert ? "alerts" : "payloads") + "; a transform takes lifecycle events");
    if (c.type == "genesys_attributes" && it->second != output::payload)
      s.fail("inputs", s.qualified("inputs") + ": '" + in + "': the marker is written for sentiment payloads only");
  }
  if (c.kind == config::role::sink && c.inputs.empty()) s.fail({}, "'" + s.name() + "' has no inputs");
}

// Filters may feed filters; a loop would route an event forever.
void check_cycles(const std::vector<config::component>& components) {
  std::map<std::string, const config::component*> filters;
  for (auto& c : components)
    if (c.kind == config::role::transform) filters[c.id] = &c;
  std::set<std::string> done, on_path;
  std::function<void(const config::component&)> visit = [&](const config::component& c) {
    if (done.contains(c.id)) return;
    if (!on_path.insert(c.id).second)
      c.settings.fail("inputs", c.settings.qualified("inputs") + ": '" + c.id + "' is its own input (through other filters)");
    for (auto& in : c.inputs)
      if (auto it = filters.find(in); it != filters.end()) visit(*it->second);
    on_path.erase(c.id);
    done.insert(c.id);
  };
  for (auto& [id, c] : filters) visit(*c);
}

void parse_component(plan& p, const config::component& c, const config::document& doc, purpose use) {
  auto& s = c.settings;
  switch (c.kind) {
    case config::role::source:
      p.sources.push_back(sources::parse_source(c, p.monitor, use == purpose::monitor || use == purpose::validate));
      return;
    case config::role::transform:
      if (c.type == "filter") {
        p.filters.push_back({c.id, c.inputs, pipeline::parse_filter(s)});
      } else if (c.type == "sentiment") {
        if (p.sentiment)
          s.fail("type", "'" + s.name() + "': a second sentiment transform ('" + p.sentiment->id + "' is the first); one "
                         "forwards every conversation, its idempotency keys are per conversation");
        p.sentiment = sentiment_plan{c.id, c.inputs, sentiment::parse_sentiment(s)};
      } else {
        s.fail("type", s.qualified("type") + ": '" + c.type + "' is not a transform type (filter, sentiment)");
      }
      return;
    case config::role::sink:
      for (auto& t : kSinkTypes)
        if (t.name == c.type) {
          sink_plan sp{c.id, c.inputs, t.parse(s, doc.env())};
          sp.component->delivery = delivery::sink_driver(s, p.delivery.defaults);
          p.sinks.push_back(std::move(sp));
          return;
        }
      s.fail("type", s.qualified("type") + ": '" + c.type + "' is not a sink type (eventbridge, webhook, file, genesys_attributes)");
  }
}

void service_tables(plan& p, const config::document& doc) {
  auto svc = doc.global("service");
  svc.reject_unknown({"shutdown_timeout_s"});
  p.shutdown_timeout = std::chrono::seconds{svc.integer("shutdown_timeout_s", 0, 3600).value_or(10)};
  auto met = doc.global("metrics");
  met.reject_unknown({"listen", "bearer_token"});
  p.metrics_listen = met.string("listen").value_or("");
  if (auto t = met.secret_reference("bearer_token", doc.env())) p.metrics_token = std::move(*t);
  if (!p.metrics_listen.empty()) metrics::parse_listen_address(p.metrics_listen, met.where("listen") + "metrics.listen");
}

// The tutorials' invented endpoints against the real cloud: refused before anything starts, with
// the real alternative. Against the simulator (or any host that is not a region's) they stay.
void refuse_tutorial_paths(const plan& p, const config::document& doc, const steps& step) {
  auto region = genesys::region_of_url(p.genesys.api_base);
  if (!region) return;
  auto where = " (" + std::string(region->domain) + ")";
  for (auto& c : doc.components()) step([&] {
    auto& s = c.settings;
    if (c.kind == config::role::source && c.type == "sse") {
      auto why = " is the tutorial's stream (seed 002: POST /api/v2/analytics/events), which Genesys Cloud" + where +
                 " does not have; use ";
      auto tail = " (the Notifications API over WebSocket, with queues and users). The SSE source works against the simulator";
      if (doc.shorthand())  // the source was made from [monitor] transports
        doc.global("monitor").fail("transports", "monitor.transports: \"sse\"" + why + "transports = [\"notifications\"]" + tail);
      s.fail("type", s.qualified("type") + " = \"sse\"" + why + "type = \"notifications\"" + tail);
    }
    if (c.kind == config::role::transform && c.type == "sentiment" && s.string("source").value_or("") == "analytics")
      s.fail("source", s.qualified("source") + " = \"analytics\" is the tutorial's query (seed 000: view \"sentiment\" on POST "
                       "/api/v2/analytics/conversations/details/query); the real query has no view and no sentiment metric, so "
                       "Genesys Cloud" + where + " returns no sentiment; use source = \"speech-analytics\" (GET "
                       "/api/v2/speechandtextanalytics/conversations/{id} and the transcripts). It works against the simulator");
    if (c.kind == config::role::sink && c.type == "genesys_attributes" && s.has("write"))
      for (auto& w : s.strings("write"))
        if (w == "conversation")
          s.fail("write", s.qualified("write") + ": 'conversation' is the tutorial's PUT /api/v2/conversations/{id}/attributes, "
                          "which Genesys Cloud" + where + " does not have; use write = [\"participant\"] (PATCH "
                          "/api/v2/conversations/{id}/participants/{participantId}/attributes). It works against the simulator");
  });
}

}  // namespace

plan make_plan(const config::document& doc, purpose use) {
  plan p;
  p.source = doc.source();
  p.shorthand = doc.shorthand();
  steps step{doc.problems().get()};
  step([&] { p.genesys = genesys::parse_connection(doc.global("genesys"), doc.global("retry"), doc.env(), use != purpose::inspect); });
  step([&] { sources::parse_monitor(doc.global("monitor"), p.genesys.api_retry, doc.shorthand(), p.monitor, p.json_output); });
  step([&] { p.delivery = delivery::parse_delivery(doc.global("state"), doc.global("outbox")); });
  step([&] { p.audit = sinks::file::parse_audit(doc.global("audit")); });
  step([&] { service_tables(p, doc); });

  p.monitor.use_notifications = p.monitor.use_sse = false;  // each source turns its transport on
  std::set<std::string> ids;
  for (auto& c : doc.components()) step([&] {
    if (!ids.insert(c.id).second)
      c.settings.fail({}, "'" + c.settings.name() + "': the id '" + c.id + "' is used by another component; ids are unique");
    parse_component(p, c, doc, use);
  });
  refuse_tutorial_paths(p, doc, step);
  auto outputs = outputs_of(doc);
  for (auto& c : doc.components())
    if (c.kind != config::role::source) step([&] { check_inputs(c, outputs); });
  step([&] { check_cycles(doc.components()); });

  step([&] {
    if (use == purpose::forward && !p.sentiment)
      fail(p.source + ": no transform of type sentiment: `forward` needs one ([transforms.<id>] type = \"sentiment\")");
    if (use == purpose::monitor && p.sources.empty())
      fail(p.source + ": no source: the monitor needs a [sources.<id>] of type notifications or sse");
    auto described = [&](config::role r, std::string_view type) {
      return std::any_of(doc.components().begin(), doc.components().end(), [&](auto& c) { return c.kind == r && c.type == type; });
    };
    if (use == purpose::validate && !described(config::role::source, "notifications") && !described(config::role::source, "sse") &&
        !described(config::role::transform, "sentiment"))
      fail(p.source + ": nothing to run: no source (a [sources.<id>] of type notifications or sse) for the monitor and no "
                      "sentiment transform for `forward`");
  });
  if (p.sentiment) {
    auto& t = p.sentiment->settings.triggers;
    t.state_retention = p.delivery.state_retention;
    for (auto& s : p.sources) t.backfill_queues.insert(t.backfill_queues.end(), s.queues.begin(), s.queues.end());
  }
  return p;
}

findings validate(const std::optional<std::string>& path, config::env_lookup env) {
  findings out;
  std::optional<config::document> doc;
  try {
    doc.emplace(config::document::load(path, env, true));
  } catch (const relay_error& e) {  // unreadable, or not TOML: nothing more can be read
    out.problems.push_back(e.what());
    return out;
  }
  auto p = make_plan(*doc, purpose::validate);
  out.problems = doc->problems()->sorted();
  if (!out.problems.empty()) return out;
  // A sentiment transform without inputs runs only for `genesys-relay forward`, and so do the sinks it alone feeds.
  if (p.sentiment && p.sentiment->inputs.empty() && !p.sources.empty()) {
    std::vector<std::string> fed;
    for (auto& sp : p.sinks)
      if (!p.builds(sp, purpose::monitor)) fed.push_back(sp.id);
    out.notes.push_back(fmt::format("{}: the sentiment transform '{}' has no inputs{}, so the monitor does not run it{}; "
                                    "`genesys-relay forward` does",
                                    p.source, p.sentiment->id, p.shorthand ? " (forwarder.enabled is not true)" : "",
                                    fed.empty() ? "" : " or the sinks it alone feeds " + join(fed)));
  }
  if (auto exposed = p.metrics_exposure()) out.notes.push_back(p.source + ": " + *exposed);
  out.built.emplace(std::move(p));
  return out;
}

plan load(const std::optional<std::string>& path, purpose use, config::env_lookup env) {
  return make_plan(config::document::load(path, env), use);
}

std::optional<std::string> plan::metrics_exposure() const {
  if (metrics_listen.empty() || !metrics_token.empty()) return std::nullopt;
  auto [host, port] = metrics::parse_listen_address(metrics_listen, "metrics.listen");
  if (net::is_loopback_url("http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + "/")) return std::nullopt;
  return "metrics.listen = \"" + metrics_listen + "\" is reachable from other hosts and metrics.bearer_token is not set: anyone who "
         "can connect reads /metrics, /healthz and /readyz";
}

sink_plan* plan::sink(std::string_view id) {
  for (auto& s : sinks)
    if (s.id == id) return &s;
  return nullptr;
}

bool plan::runs_sentiment(purpose use) const {
  if (!sentiment) return false;
  if (use == purpose::forward) return true;
  return use == purpose::monitor && (!sentiment->inputs.empty() || sources.empty());
}

bool plan::builds(const sink_plan& s, purpose use) const {
  if (use == purpose::replay) return true;
  if (use == purpose::inspect) return false;
  return std::any_of(s.inputs.begin(), s.inputs.end(), [&](const std::string& in) {
    if (sentiment && (in == sentiment->id || in == sentiment->id + ".alerts")) return runs_sentiment(use);
    return use == purpose::monitor;  // a source or a filter: they run in the monitor
  });
}

std::vector<std::string> sinks_fed_by(const plan& p, std::string_view output) {
  std::vector<std::string> out;
  for (auto& s : p.sinks)
    if (std::find(s.inputs.begin(), s.inputs.end(), output) != s.inputs.end()) out.push_back(s.id);
  return out;
}

std::string plan::describe(purpose use) const {
  std::string out;
  auto line = [&](std::string l) { (out += l) += '\n'; };
  auto filter = [](const pipeline::event_filter& f) {
    std::vector<std::string> kinds, media(f.media_types.begin(), f.media_types.end()), queues(f.queues.begin(), f.queues.end());
    for (auto k : f.kinds) kinds.emplace_back(to_string(k));
    return fmt::format("event_types={} media_types={} queues={}", join(kinds), join(media), join(queues));
  };
  line(fmt::format("genesys api={} login={} client_id={} tls_verify={} ca_file={} retry={}x{}ms..{}ms", genesys.api_base,
                   genesys.login_base, genesys.credentials.client_id, genesys.http.tls.verify_peer, genesys.http.tls.ca_file,
                   genesys.api_retry.max_attempts, genesys.api_retry.base.count(), genesys.api_retry.cap.count()));
  line(fmt::format("monitor max_retries={} reconnect={}ms..{}ms max_payload_bytes={} json={}", monitor.reconnect.max_retries,
                   monitor.reconnect.backoff.base.count(), monitor.reconnect.backoff.cap.count(), monitor.max_payload_bytes,
                   json_output));
  for (auto& s : sources) {
    if (use != purpose::monitor) break;
    std::string detail = s.type == sources::transport::notifications
                             ? fmt::format("topics={} heartbeat_timeout_ms={} rotate_before_expiry_s={} topics_per_channel={}",
                                           join(monitor.notifications.topics), monitor.notifications.heartbeat_timeout.count(),
                                           monitor.notifications.rotate_before_expiry.count(), monitor.notifications.topics_per_channel)
                             : fmt::format("query={}", monitor.sse.query_json);
    line(fmt::format("source {} type={} {} {}", s.id, to_string(s.type), filter(s.filter), detail));
  }
  if (use == purpose::monitor)
    for (auto& f : filters) line(fmt::format("transform {} type=filter inputs={} {}", f.id, join(f.inputs), filter(f.filter)));
  if (runs_sentiment(use)) {
    auto& f = sentiment->settings.forwarder;
    auto& t = sentiment->settings.triggers;
    std::vector<std::string> media(t.media_types.begin(), t.media_types.end());
    line(fmt::format("transform {} type=sentiment inputs={} source={} min_confidence={} escalation_threshold={} neutral_band={} "
                     "not_analysed={}ms/{}ms alert_log={} media_types={} periodic_s={} periodic_max_age_s={} backfill_h={} "
                     "backfill_queues={} max_in_flight={} max_pending={} attempts={} retry_after_ms={}",
                     sentiment->id, join(sentiment->inputs), f.source == sentiment::source_kind::analytics ? "analytics" : "speech-analytics",
                     f.min_confidence, f.escalation_threshold, f.neutral_band, f.not_analysed_horizon.count(),
                     f.not_analysed_backoff.count(), f.alert_log, join(media), t.periodic.count(), t.periodic_max_age.count(),
                     t.backfill_lookback.count(), join(t.backfill_queues), t.max_in_flight, t.max_pending, t.attempts,
                     t.retry_after.count()));
  }
  std::vector<const sink_plan*> by_id;  // canonical: by id, whatever order the file has
  for (auto& s : sinks) by_id.push_back(&s);
  std::sort(by_id.begin(), by_id.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (auto* sp : by_id) {
    auto& s = *sp;
    if (!builds(s, use)) continue;
    auto& d = s.component->delivery;
    line(fmt::format("sink {} type={} inputs={} max_attempts={} retry_max_ms={} breaker={}/{}ms..{}ms {}", s.id, s.component->type(),
                     join(s.inputs), d.max_attempts, d.backoff_cap.count(), d.breaker.failures_to_open, d.breaker.open_for.count(),
                     d.breaker.max_open_for.count(), s.component->describe()));
  }
  line(fmt::format("state path={} synchronous={} retention_h={} outbox max_pending={} max_age_ms={}", delivery.state_path,
                   to_string(delivery.sync), delivery.state_retention.count(), delivery.outbox.max_pending,
                   delivery.outbox.max_age.count()));
  if (runs_sentiment(use)) line(fmt::format("audit path={} max_bytes={} keep={}", audit.path, audit.max_bytes, audit.keep));
  line(fmt::format("service metrics={}{} shutdown_timeout_s={}", metrics_listen.empty() ? "off" : metrics_listen,
                   metrics_token.empty() ? "" : " (bearer token)",
                   shutdown_timeout.count()));
  return out;
}

}  // namespace grm::topology
