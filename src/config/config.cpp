#include "config/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "genesys/regions.hpp"
#include "net/endpoint.hpp"
#include "observability/metrics_server.hpp"

namespace grm::config {
namespace {

[[noreturn]] void fail(std::string message) { throw relay_error(error_kind::config, message); }

std::string where(const toml::node& n, std::string_view source) {
  auto& s = n.source();
  return std::string(source) + ":" + std::to_string(s.begin.line);
}

void reject_unknown(const toml::table& t, std::initializer_list<std::string_view> known,
                    std::string_view section, std::string_view source) {
  for (auto& [k, v] : t) {
    bool ok = false;
    for (auto name : known) ok = ok || k.str() == name;
    if (!ok)
      fail(where(v, source) + ": unknown key '" + (section.empty() ? "" : std::string(section) + ".") +
           std::string(k.str()) + "'");
  }
}

template <typename T>
std::optional<T> get(const toml::table& t, std::string_view key, std::string_view section,
                     std::string_view source) {
  auto* n = t.get(key);
  if (!n) return std::nullopt;
  if (auto v = n->value<T>()) return *v;
  std::string expected = std::is_same_v<T, bool> ? "a boolean"
                         : std::is_same_v<T, std::string> ? "a string"
                                                          : "a number";
  fail(where(*n, source) + ": '" + std::string(section) + "." + std::string(key) + "' must be " + expected);
}

std::vector<std::string> get_strings(const toml::table& t, std::string_view key,
                                     std::string_view section, std::string_view source) {
  std::vector<std::string> out;
  auto* n = t.get(key);
  if (!n) return out;
  auto* arr = n->as_array();
  if (!arr) fail(where(*n, source) + ": '" + std::string(section) + "." + std::string(key) + "' must be an array of strings");
  for (auto& e : *arr) {
    auto v = e.value<std::string>();
    if (!v) fail(where(e, source) + ": '" + std::string(section) + "." + std::string(key) + "' must contain only strings");
    out.push_back(*v);
  }
  return out;
}

std::int64_t positive(std::optional<std::int64_t> v, std::int64_t fallback, std::string_view key,
                      const toml::table& t, std::string_view source, std::int64_t min = 1) {
  if (!v) return fallback;
  if (*v < min) fail(where(*t.get(key), source) + ": '" + std::string(key) + "' must be at least " + std::to_string(min));
  return *v;
}

double fraction(const toml::table& t, std::string_view key, std::string_view section, std::string_view source,
                double fallback) {
  auto v = get<double>(t, key, section, source);
  if (!v) return fallback;
  if (!(*v >= 0.0 && *v <= 1.0))
    fail(where(*t.get(key), source) + ": '" + std::string(section) + "." + std::string(key) + "' must be between 0 and 1");
  return *v;
}

constexpr std::string_view kLoopbackHosts = "a loopback host (127.0.0.0/8, ::1 or localhost)";

// Where a key is set: "file:line: " when the file sets it, "" when it comes from the defaults.
std::string at(const toml::table& t, std::string_view key, std::string_view source) {
  auto* n = t.get(key);
  return n ? where(*n, source) + ": " : std::string{};
}

// Loopback-only escape hatch: verification is never off for a remote host. The host is parsed
// from the URL (a substring test would accept https://localhost.example.com).
void check_tls(const toml::table& t, std::string_view section, std::string_view source, const std::string& url) {
  if (get<bool>(t, "tls_verify", section, source).value_or(true) || net::is_loopback_url(url)) return;
  fail(at(t, "tls_verify", source) + std::string(section) + ".tls_verify = false is only allowed for " +
       std::string(kLoopbackHosts) + ", not " + (url.empty() ? "the Region's endpoint" : net::redacted_url(url)));
}

// Plain http carries tokens and payloads in clear text: only to a loopback host.
void check_scheme(const std::string& url, std::string_view what, const std::string& where_set) {
  if (url.rfind("https://", 0) == 0 || url.rfind("wss://", 0) == 0 || net::is_loopback_url(url)) return;
  fail(where_set + std::string(what) + " " + net::redacted_url(url) + " must be https:// (plain http only to " +
       std::string(kLoopbackHosts) + ")");
}

// A sink's own transport: trust anchors from `ca_file`, verification from `tls_verify` (checked
// against the URL), the proxy from the environment. Nothing here is shared with another sink.
net::http_client_options sink_http(const toml::table& t, std::string_view section, std::string_view source,
                                   const std::string& url) {
  net::http_client_options o;
  o.proxy = net::proxy_settings::from_env();
  if (auto ca = get<std::string>(t, "ca_file", section, source)) {
    o.tls.ca_file = *ca;
    o.tls.ca_file_setting = std::string(section) + ".ca_file";
  }
  check_tls(t, section, source, url);
  o.tls.verify_peer = get<bool>(t, "tls_verify", section, source).value_or(true);
  return o;
}

// A webhook target; its token and signing secret only from the environment (`env_prefix`_TOKEN,
// `env_prefix`_SECRET), never from the file.
sentiment::webhook_target webhook(const toml::table& t, std::string_view section, std::string_view source, std::string url,
                                  env_lookup env, const std::string& env_prefix, sinks::webhook::body_shape body) {
  sentiment::webhook_target target;
  auto& w = target.settings;
  w.url = std::move(url);
  check_scheme(w.url, std::string(section) + ": webhook URL", at(t, "url", source));
  if (auto token = env((env_prefix + "_TOKEN").c_str())) w.bearer_token = secret(*token);
  if (auto key = env((env_prefix + "_SECRET").c_str())) w.signing_secret = secret(*key);
  w.body = body;
  w.request_timeout = std::chrono::milliseconds{positive(get<std::int64_t>(t, "timeout_ms", section, source), 10'000, "timeout_ms", t, source)};
  w.http = sink_http(t, section, source, w.url);
  return target;
}

using section_fn = std::function<const toml::table&(std::string_view)>;

void parse_forwarding(relay_config& cfg, const section_fn& section, std::string_view source, env_lookup env) {
  auto& fw = cfg.forwarding;
  auto& f = fw.forwarder;
  auto& t = fw.triggers;
  auto& s = section("forwarder");
  reject_unknown(s, {"enabled", "source", "min_confidence", "escalation_threshold", "neutral_band", "marker",
                     "conflict_retries", "not_analysed_horizon_s", "not_analysed_backoff_ms", "media_types",
                     "periodic_s", "periodic_max_age_s", "backfill_lookback_h", "max_in_flight", "max_pending", "attempts", "retry_after_s", "state_path",
                     "state_retention_h"},
                 "forwarder", source);
  cfg.forward_continuously = get<bool>(s, "enabled", "forwarder", source).value_or(false);
  auto src = get<std::string>(s, "source", "forwarder", source).value_or("speech-analytics");
  if (src == "analytics") f.source = sentiment::source_kind::analytics;
  else if (src == "speech-analytics") f.source = sentiment::source_kind::speech_analytics;
  else fail(where(*s.get("source"), source) + ": forwarder.source: '" + src + "' is not one of speech-analytics, analytics");
  f.min_confidence = fraction(s, "min_confidence", "forwarder", source, 0.75);
  f.escalation_threshold = fraction(s, "escalation_threshold", "forwarder", source, 0.8);
  f.neutral_band = fraction(s, "neutral_band", "forwarder", source, 0.25);
  sentiment::marker_target marker;
  if (s.get("marker")) {
    marker.settings.participant = marker.settings.conversation = false;
    for (auto& m : get_strings(s, "marker", "forwarder", source)) {
      if (m == "participant") marker.settings.participant = true;
      else if (m == "conversation") marker.settings.conversation = true;
      else fail(where(*s.get("marker"), source) + ": forwarder.marker: '" + m + "' is not one of participant, conversation");
    }
  }
  marker.settings.conflict_retries =
      static_cast<int>(positive(get<std::int64_t>(s, "conflict_retries", "forwarder", source), 3, "conflict_retries", s, source, 0));
  if (marker.settings.participant || marker.settings.conversation) fw.marker = marker;
  f.not_analysed_horizon = std::chrono::seconds{positive(get<std::int64_t>(s, "not_analysed_horizon_s", "forwarder", source), 600, "not_analysed_horizon_s", s, source, 0)};
  f.not_analysed_backoff = std::chrono::milliseconds{positive(get<std::int64_t>(s, "not_analysed_backoff_ms", "forwarder", source), 5'000, "not_analysed_backoff_ms", s, source)};
  if (s.get("media_types")) {
    t.media_types.clear();
    for (auto& m : get_strings(s, "media_types", "forwarder", source)) t.media_types.insert(pipeline::normalise_media_type(m));
  }
  t.periodic = std::chrono::seconds{positive(get<std::int64_t>(s, "periodic_s", "forwarder", source), 0, "periodic_s", s, source, 0)};
  t.periodic_max_age = std::chrono::seconds{positive(get<std::int64_t>(s, "periodic_max_age_s", "forwarder", source), 24 * 3600,
                                                     "periodic_max_age_s", s, source, 0)};
  t.backfill_lookback = std::chrono::hours{positive(get<std::int64_t>(s, "backfill_lookback_h", "forwarder", source), 24,
                                                    "backfill_lookback_h", s, source, 0)};
  t.max_in_flight = static_cast<std::size_t>(positive(get<std::int64_t>(s, "max_in_flight", "forwarder", source), 16, "max_in_flight", s, source));
  t.max_pending = static_cast<std::size_t>(positive(get<std::int64_t>(s, "max_pending", "forwarder", source), 10'000, "max_pending", s, source));
  t.attempts = static_cast<int>(positive(get<std::int64_t>(s, "attempts", "forwarder", source), 3, "attempts", s, source));
  t.retry_after = std::chrono::seconds{positive(get<std::int64_t>(s, "retry_after_s", "forwarder", source), 30, "retry_after_s", s, source)};
  fw.state_path = get<std::string>(s, "state_path", "forwarder", source).value_or("genesys-relay-state.db");
  t.state_retention = std::chrono::hours{positive(get<std::int64_t>(s, "state_retention_h", "forwarder", source), 24 * 7, "state_retention_h", s, source)};

  auto& eb = section("eventbridge");
  reject_unknown(eb, {"enabled", "region", "endpoint", "profile", "event_bus", "source", "detail_type",
                      "alert_detail_type", "ca_file", "tls_verify", "max_attempts", "request_limit", "batch_size"},
                 "eventbridge", source);
  if (get<bool>(eb, "enabled", "eventbridge", source).value_or(true)) {
    sentiment::eventbridge_target target;
    target.settings.region = get<std::string>(eb, "region", "eventbridge", source).value_or("");
    target.settings.endpoint = get<std::string>(eb, "endpoint", "eventbridge", source).value_or("");
    target.profile = get<std::string>(eb, "profile", "eventbridge", source).value_or("");
    // Opt-in: by default a delivery is retried until the outbox's max age.
    if (auto n = get<std::int64_t>(eb, "max_attempts", "eventbridge", source))
      target.delivery.max_attempts = static_cast<int>(positive(n, 3, "max_attempts", eb, source));
    target.settings.max_entries = static_cast<std::size_t>(positive(get<std::int64_t>(eb, "batch_size", "eventbridge", source), 10, "batch_size", eb, source));
    if (target.settings.max_entries > 10)
      fail(where(*eb.get("batch_size"), source) + ": eventbridge.batch_size may be at most 10 (PutEvents takes 1 to 10 entries)");
    auto limit = get<std::string>(eb, "request_limit", "eventbridge", source).value_or("256KB");
    if (limit == "1MiB") target.settings.max_request_bytes = sinks::eventbridge::limit_1mb;
    else if (limit != "256KB") fail(where(*eb.get("request_limit"), source) + ": eventbridge.request_limit: '" + limit + "' is not one of 256KB, 1MiB");
    if (!target.settings.endpoint.empty()) check_scheme(target.settings.endpoint, "eventbridge.endpoint", at(eb, "endpoint", source));
    target.http = sink_http(eb, "eventbridge", source, target.settings.endpoint);
    if (auto bundle = env("AWS_CA_BUNDLE"); bundle && target.http.tls.ca_file.empty())
      target.http.tls = {true, {}, *bundle, "AWS_CA_BUNDLE"};
    if (!get<bool>(eb, "tls_verify", "eventbridge", source).value_or(true)) target.http.tls.verify_peer = false;
    // STS, container and IMDS: the AWS trust (AWS_CA_BUNDLE, else eventbridge.ca_file), always verified.
    target.credentials.proxy = target.http.proxy;
    target.credentials.tls = {true, {}, target.http.tls.ca_file, target.http.tls.ca_file_setting};
    if (auto bundle = env("AWS_CA_BUNDLE")) target.credentials.tls = {true, {}, *bundle, "AWS_CA_BUNDLE"};
    auto& st = target.settings;
    st.event_bus = get<std::string>(eb, "event_bus", "eventbridge", source).value_or("");
    st.source = get<std::string>(eb, "source", "eventbridge", source).value_or(st.source);
    st.detail_types["sentiment"] = get<std::string>(eb, "detail_type", "eventbridge", source).value_or(st.detail_types["sentiment"]);
    st.detail_types["alert"] = get<std::string>(eb, "alert_detail_type", "eventbridge", source).value_or(st.detail_types["alert"]);
    fw.eventbridge = std::move(target);
  }

  // The CRM webhook: URL from the file or CRM_WEBHOOK_URL, the token only from CRM_WEBHOOK_TOKEN.
  auto& crm = section("crm");
  reject_unknown(crm, {"url", "timeout_ms", "ca_file", "tls_verify"}, "crm", source);
  auto crm_url = env("CRM_WEBHOOK_URL");
  if (!crm_url) crm_url = get<std::string>(crm, "url", "crm", source);
  if (crm_url) fw.crm = webhook(crm, "crm", source, *crm_url, env, "CRM_WEBHOOK", sinks::webhook::body_shape::envelope);

  auto& al = section("alerts");
  reject_unknown(al, {"sinks", "webhook_url", "timeout_ms", "ca_file", "tls_verify"}, "alerts", source);
  if (al.get("sinks")) {
    f.alert_log = false;
    if (fw.eventbridge) fw.eventbridge->alerts = false;
    bool hook = false;
    for (auto& k : get_strings(al, "sinks", "alerts", source)) {
      if (k == "log") f.alert_log = true;
      else if (k == "eventbridge" && fw.eventbridge) fw.eventbridge->alerts = true;
      else if (k == "eventbridge") continue;
      else if (k == "webhook") hook = true;
      else fail(where(*al.get("sinks"), source) + ": alerts.sinks: '" + k + "' is not one of log, eventbridge, webhook");
    }
    if (hook) {
      auto url = get<std::string>(al, "webhook_url", "alerts", source);
      if (!url) fail(where(*al.get("sinks"), source) + ": alerts.sinks includes webhook but alerts.webhook_url is not set");
      fw.alert_webhook = webhook(al, "alerts", source, *url, env, "ALERT_WEBHOOK", sinks::webhook::body_shape::raw);
    }
  } else if (auto url = get<std::string>(al, "webhook_url", "alerts", source)) {
    fw.alert_webhook = webhook(al, "alerts", source, *url, env, "ALERT_WEBHOOK", sinks::webhook::body_shape::raw);
  }

  auto& au = section("audit");
  reject_unknown(au, {"path", "max_bytes", "keep"}, "audit", source);
  fw.audit.path = get<std::string>(au, "path", "audit", source).value_or("genesys-relay-audit.jsonl");
  fw.audit.max_bytes = static_cast<std::size_t>(positive(get<std::int64_t>(au, "max_bytes", "audit", source), 64 << 20, "max_bytes", au, source, 4096));
  fw.audit.keep = static_cast<int>(positive(get<std::int64_t>(au, "keep", "audit", source), 5, "keep", au, source, 0));

  auto& ob = section("outbox");
  reject_unknown(ob, {"max_pending", "max_age_h", "synchronous", "retry_max_delay_s", "breaker_failures", "breaker_open_s",
                      "breaker_max_open_s"},
                 "outbox", source);
  // The delivery settings every sink's driver shares (a sink's own max_attempts stays its own).
  delivery::driver_options d;
  d.backoff_cap = std::chrono::seconds{positive(get<std::int64_t>(ob, "retry_max_delay_s", "outbox", source), 300, "retry_max_delay_s", ob, source)};
  d.breaker.failures_to_open = static_cast<int>(positive(get<std::int64_t>(ob, "breaker_failures", "outbox", source), 5, "breaker_failures", ob, source));
  d.breaker.open_for = std::chrono::seconds{positive(get<std::int64_t>(ob, "breaker_open_s", "outbox", source), 5, "breaker_open_s", ob, source)};
  d.breaker.max_open_for = std::chrono::seconds{positive(get<std::int64_t>(ob, "breaker_max_open_s", "outbox", source), 300, "breaker_max_open_s", ob, source)};
  if (d.breaker.max_open_for < d.breaker.open_for) d.breaker.max_open_for = d.breaker.open_for;
  auto apply = [&](delivery::driver_options& o) {
    auto attempts = o.max_attempts;
    o = d;
    o.max_attempts = attempts;
  };
  if (fw.eventbridge) apply(fw.eventbridge->delivery);
  if (fw.crm) apply(fw.crm->delivery);
  if (fw.alert_webhook) apply(fw.alert_webhook->delivery);
  if (fw.marker) apply(fw.marker->delivery);
  fw.outbox.max_pending = static_cast<std::size_t>(positive(get<std::int64_t>(ob, "max_pending", "outbox", source), 1'000'000,
                                                            "max_pending", ob, source));
  fw.outbox.max_age = std::chrono::hours{positive(get<std::int64_t>(ob, "max_age_h", "outbox", source), 96, "max_age_h", ob, source)};
  auto sync = get<std::string>(ob, "synchronous", "outbox", source).value_or("normal");
  if (sync == "full") fw.durability = delivery::durability::full;
  else if (sync != "normal") fail(where(*ob.get("synchronous"), source) + ": outbox.synchronous: '" + sync + "' is not one of normal, full");
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  if (const char* v = std::getenv(name); v && *v) return std::string(v);
  return std::nullopt;
}

std::vector<std::string> conversation_topics(const std::vector<std::string>& queues,
                                             const std::vector<std::string>& users) {
  std::vector<std::string> topics;
  for (auto& q : queues) topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : users) topics.push_back("v2.users." + u + ".conversations");
  return topics;
}

relay_config parse(std::string_view text, std::string_view source, env_lookup env, purpose use) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  reject_unknown(root, {"genesys", "monitor", "retry", "forwarder", "eventbridge", "crm", "alerts", "audit", "metrics", "service", "outbox"},
                 "", source);
  relay_config cfg;
  auto& m = cfg.monitor;
  static const toml::table empty;
  auto section = [&](std::string_view name) -> const toml::table& {
    auto* n = root.get(name);
    if (!n) return empty;
    if (!n->is_table()) fail(where(*n, source) + ": '" + std::string(name) + "' must be a table");
    return *n->as_table();
  };

  auto& g = section("genesys");
  reject_unknown(g, {"region", "api_url", "login_url", "client_id", "client_secret", "ca_file", "tls_verify"}, "genesys", source);
  cfg.region = get<std::string>(g, "region", "genesys", source).value_or("");
  auto api_url = get<std::string>(g, "api_url", "genesys", source).value_or("");
  auto login_url = get<std::string>(g, "login_url", "genesys", source).value_or("");
  m.credentials.client_id = get<std::string>(g, "client_id", "genesys", source).value_or("");
  if (auto s = get<std::string>(g, "client_secret", "genesys", source)) m.credentials.client_secret = secret(*s);
  m.http.tls.ca_file = get<std::string>(g, "ca_file", "genesys", source).value_or("");
  if (!m.http.tls.ca_file.empty()) m.http.tls.ca_file_setting = "genesys.ca_file";
  m.http.tls.verify_peer = get<bool>(g, "tls_verify", "genesys", source).value_or(true);

  auto& mon = section("monitor");
  reject_unknown(mon, {"transports", "queues", "users", "topics", "event_types", "media_types", "max_retries", "reconnect_max_delay_ms",
                       "heartbeat_timeout_ms", "rotate_before_expiry_s", "topics_per_channel",
                       "max_payload_bytes", "json"}, "monitor", source);
  auto transports = get_strings(mon, "transports", "monitor", source);
  if (!transports.empty()) {
    m.use_notifications = m.use_sse = false;
    for (auto& t : transports) {
      if (t == "notifications") m.use_notifications = true;
      else if (t == "sse") m.use_sse = true;
      else fail(where(*mon.get("transports"), source) + ": monitor.transports: '" + t + "' is not one of notifications, sse");
    }
  }
  auto queues = get_strings(mon, "queues", "monitor", source);
  cfg.forwarding.triggers.backfill_queues = queues;
  auto users = get_strings(mon, "users", "monitor", source);
  m.notifications.topics = conversation_topics(queues, users);
  for (auto& t : get_strings(mon, "topics", "monitor", source)) m.notifications.topics.push_back(t);
  auto kinds = get_strings(mon, "event_types", "monitor", source);
  for (auto& k : kinds) {
    static const std::pair<std::string_view, lifecycle> names[] = {
        {"start", lifecycle::start}, {"update", lifecycle::update}, {"end", lifecycle::end},
        {"wrapup", lifecycle::wrapup}, {"unknown", lifecycle::unknown}};
    bool found = false;
    for (auto& [n, l] : names)
      if (k == n || k == "conversation:" + std::string(n)) {
        m.filter.kinds.insert(l);
        found = true;
      }
    if (!found) fail(where(*mon.get("event_types"), source) + ": monitor.event_types: '" + k + "' is not one of start, update, end, wrapup, unknown");
  }
  auto media = get_strings(mon, "media_types", "monitor", source);
  for (auto& md : media) m.filter.media_types.insert(pipeline::normalise_media_type(md));
  std::vector<std::string> kind_names;
  for (auto k : m.filter.kinds) kind_names.emplace_back(to_string(k));
  m.sse.query_json = sources::default_sse_query(kind_names, media);
  m.reconnect.max_retries = static_cast<int>(positive(get<std::int64_t>(mon, "max_retries", "monitor", source), 0, "max_retries", mon, source, 0));
  m.notifications.heartbeat_timeout = std::chrono::milliseconds{positive(get<std::int64_t>(mon, "heartbeat_timeout_ms", "monitor", source), 65'000, "heartbeat_timeout_ms", mon, source)};
  m.notifications.rotate_before_expiry = std::chrono::seconds{positive(get<std::int64_t>(mon, "rotate_before_expiry_s", "monitor", source), 600, "rotate_before_expiry_s", mon, source, 0)};
  m.notifications.topics_per_channel = static_cast<std::size_t>(positive(get<std::int64_t>(mon, "topics_per_channel", "monitor", source), 1000, "topics_per_channel", mon, source));
  if (m.notifications.topics_per_channel > 1000)
    fail(where(*mon.get("topics_per_channel"), source) + ": monitor.topics_per_channel may be at most 1000 (the API's per-channel limit)");
  m.max_payload_bytes = static_cast<std::size_t>(positive(get<std::int64_t>(mon, "max_payload_bytes", "monitor", source), 256 * 1024, "max_payload_bytes", mon, source));
  cfg.json_output = get<bool>(mon, "json", "monitor", source).value_or(false);

  auto& r = section("retry");
  reject_unknown(r, {"max_attempts", "base_ms", "cap_ms"}, "retry", source);
  m.api_retry.max_attempts = static_cast<int>(positive(get<std::int64_t>(r, "max_attempts", "retry", source), 4, "max_attempts", r, source));
  m.api_retry.base = std::chrono::milliseconds{positive(get<std::int64_t>(r, "base_ms", "retry", source), 500, "base_ms", r, source)};
  m.api_retry.cap = std::chrono::milliseconds{positive(get<std::int64_t>(r, "cap_ms", "retry", source), 30'000, "cap_ms", r, source)};
  m.reconnect.backoff.base = m.api_retry.base * 2;
  m.reconnect.backoff.cap = std::chrono::milliseconds{positive(get<std::int64_t>(mon, "reconnect_max_delay_ms", "monitor", source),
                                                               60'000, "reconnect_max_delay_ms", mon, source)};

  // Environment (the Genesys SDKs' variables) wins over the file.
  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_ID")) m.credentials.client_id = *v;
  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_SECRET")) m.credentials.client_secret = secret(*v);
  if (auto v = env("GENESYSCLOUD_REGION")) cfg.region = *v;
  m.http.proxy = net::proxy_settings::from_env();

  bool needs_genesys = use != purpose::inspect;
  if (needs_genesys && (api_url.empty() || login_url.empty())) {
    if (cfg.region.empty() && api_url.empty())
      fail("no Genesys Cloud region: set GENESYSCLOUD_REGION (e.g. mypurecloud.com, usw2.pure.cloud) or genesys.region / genesys.api_url in the config file");
    if (!cfg.region.empty()) {
      auto reg = genesys::find_region(cfg.region);
      if (!reg) fail("GENESYSCLOUD_REGION / genesys.region '" + cfg.region + "' is not a Genesys Cloud region (e.g. mypurecloud.com, mypurecloud.ie, usw2.pure.cloud, eu-west-1)");
      auto h = genesys::hosts_for(*reg);
      if (api_url.empty()) api_url = h.api_base;
      if (login_url.empty()) login_url = h.login_base;
    } else if (login_url.empty()) {
      login_url = api_url;  // a gateway/simulator serving both, as the SDK's setGateway does
    }
  }
  m.api_base = api_url;
  m.login_base = login_url;
  if (needs_genesys && m.credentials.client_id.empty())
    fail("missing OAuth client id: set GENESYSCLOUD_OAUTHCLIENT_ID (or genesys.client_id in the config file)");
  if (needs_genesys && m.credentials.client_secret.empty())
    fail("missing OAuth client secret: set GENESYSCLOUD_OAUTHCLIENT_SECRET");
  if (needs_genesys) {
    check_scheme(api_url, "genesys.api_url", at(g, "api_url", source));
    check_scheme(login_url, "genesys.login_url", at(g, "login_url", source));
  }
  if (!m.http.tls.verify_peer)
    for (auto* url : {&api_url, &login_url})
      if (!net::is_loopback_url(*url))
        fail(at(g, "tls_verify", source) + "genesys.tls_verify = false is only allowed when genesys.api_url and " +
             "genesys.login_url are " + std::string(kLoopbackHosts) + ", not " + net::redacted_url(*url));
  parse_forwarding(cfg, section, source, env);
  auto& svc = section("service");
  reject_unknown(svc, {"shutdown_timeout_s"}, "service", source);
  cfg.shutdown_timeout = std::chrono::seconds{positive(get<std::int64_t>(svc, "shutdown_timeout_s", "service", source), 10,
                                                       "shutdown_timeout_s", svc, source, 0)};
  auto& met = section("metrics");
  reject_unknown(met, {"listen"}, "metrics", source);
  cfg.metrics_listen = get<std::string>(met, "listen", "metrics", source).value_or("");
  if (!cfg.metrics_listen.empty()) metrics::parse_listen_address(cfg.metrics_listen, where(*met.get("listen"), source) + ": metrics.listen");
  if (use == purpose::monitor && m.use_notifications && m.notifications.topics.empty())
    fail("monitor: no topics to subscribe to: set monitor.queues, monitor.users or monitor.topics (or use transports = [\"sse\"])");
  return cfg;
}

relay_config load(const std::optional<std::string>& path, env_lookup env, purpose use) {
  if (!path) return parse("", "<defaults>", env, use);
  std::ifstream in(*path);
  if (!in) fail("cannot read config file '" + *path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), *path, env, use);
}

}  // namespace grm::config
