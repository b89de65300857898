#include "config/document.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace grm::config {

namespace {

[[noreturn]] void fail(std::string message) { throw relay_error(error_kind::config, std::move(message)); }

constexpr std::string_view kGlobals[] = {"genesys", "retry", "monitor", "state", "outbox", "audit", "metrics", "service"};
constexpr std::string_view kRoles[] = {"sources", "transforms", "sinks"};
// The sections of earlier releases that describe components (read as the shorthand).
constexpr std::string_view kShorthand[] = {"forwarder", "eventbridge", "crm", "alerts"};

bool one_of(std::string_view s, auto& list) {
  for (auto x : list)
    if (s == x) return true;
  return false;
}

// Ids are what inputs name; "<id>.<output>" addresses a second output, so no dots.
bool check_id(const section& where_set, const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) where_set.report({}, "'" + where_set.name() + "': a component id is 1 to 64 letters, digits, '_' or '-'");
  return ok;
}

}  // namespace

std::optional<std::string> process_env(const char* name) {
  if (const char* v = std::getenv(name); v && *v) return std::string(v);
  return std::nullopt;
}

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::source: return "source";
    case role::transform: return "transform";
    case role::sink: return "sink";
  }
  return "?";
}

// The shorthand of earlier releases as components (docs/configuration.md, "Shorthand").
struct shorthand_reader {
  document& doc;
  std::shared_ptr<const void> keep;

  section table(std::string_view name) const {  // parse() checked that it is a table
    auto* n = doc.root_->get(name);
    return section(keep, n ? n->as_table() : nullptr, std::string(name), doc.source_, doc.problems_);
  }

  void add(role kind, std::string id, std::string type, std::vector<std::string> inputs, section s) {
    s.set("type", type);
    if (kind != role::source) s.set("inputs", inputs);
    doc.components_.push_back({kind, std::move(id), std::move(type), std::move(inputs), std::move(s)});
  }

  std::vector<std::string> sources(const section& mon) {
    mon.reject_unknown({"transports", "queues", "users", "topics", "event_types", "media_types", "max_retries",
                        "reconnect_max_delay_ms", "heartbeat_timeout_ms", "rotate_before_expiry_s", "topics_per_channel",
                        "max_payload_bytes", "json", "ready_reconnect_budget_s"});
    std::vector<std::string> ids;
    auto transports = mon.has("transports") ? mon.strings("transports") : std::vector<std::string>{"notifications"};
    for (auto& t : transports) {
      if (t == "notifications")
        add(role::source, "notifications", "notifications", {},
            mon.only({"queues", "users", "topics", "event_types", "media_types", "heartbeat_timeout_ms", "rotate_before_expiry_s",
                      "topics_per_channel"}));
      else if (t == "sse")
        add(role::source, "sse", "sse", {}, mon.only({"event_types", "media_types"}));
      else
        { mon.report("transports", "monitor.transports: '" + t + "' is not one of notifications, sse"); continue; }
      ids.push_back(t);
    }
    return ids;
  }

  void read() {
    auto mon = table("monitor");
    auto fw = table("forwarder");
    auto eb = table("eventbridge");
    auto crm = table("crm");
    auto al = table("alerts");
    auto sources_ids = sources(mon);
    globals(mon, fw);

    fw.reject_unknown({"enabled", "source", "min_confidence", "escalation_threshold", "neutral_band", "marker", "conflict_retries",
                       "not_analysed_horizon_s", "not_analysed_backoff_ms", "media_types", "periodic_s", "periodic_max_age_s",
                       "backfill_lookback_h", "max_in_flight", "max_pending", "attempts", "retry_after_s", "state_path",
                       "state_retention_h"});
    eb.reject_unknown({"enabled", "region", "endpoint", "profile", "event_bus", "source", "detail_type", "alert_detail_type",
                       "ca_file", "tls_verify", "max_attempts", "request_limit", "batch_size"});
    crm.reject_unknown({"url", "timeout_ms", "ca_file", "tls_verify"});
    al.reject_unknown({"sinks", "webhook_url", "timeout_ms", "ca_file", "tls_verify"});

    // Alerts: alerts.sinks lists where they go (log, eventbridge, webhook); without it, to the
    // log, to EventBridge, and to alerts.webhook_url when it is set.
    bool alert_log = true, alert_bus = true, alert_hook = al.has("webhook_url");
    if (al.has("sinks")) {
      alert_log = alert_bus = alert_hook = false;
      for (auto& k : al.strings("sinks")) {
        if (k == "log") alert_log = true;
        else if (k == "eventbridge") alert_bus = true;
        else if (k == "webhook") alert_hook = true;
        else al.report("sinks", "alerts.sinks: '" + k + "' is not one of log, eventbridge, webhook");
      }
      if (alert_hook && !al.has("webhook_url"))
        al.report("sinks", "alerts.sinks includes webhook but alerts.webhook_url is not set");
    }

    bool continuous = fw.boolean("enabled").value_or(false);
    auto sentiment = fw.only({"source", "min_confidence", "escalation_threshold", "neutral_band", "not_analysed_horizon_s",
                              "not_analysed_backoff_ms", "media_types", "periodic_s", "periodic_max_age_s", "backfill_lookback_h",
                              "max_in_flight", "max_pending", "attempts", "retry_after_s"});
    sentiment.set("alert_log", alert_log);
    add(role::transform, "sentiment", "sentiment", continuous ? sources_ids : std::vector<std::string>{}, sentiment);

    if (eb.boolean("enabled").value_or(true)) {
      std::vector<std::string> in{"sentiment"};
      if (alert_bus) in.push_back("sentiment.alerts");
      add(role::sink, "eventbridge", "eventbridge", in,
          eb.only({"region", "endpoint", "profile", "event_bus", "source", "detail_type", "alert_detail_type", "ca_file",
                   "tls_verify", "max_attempts", "request_limit", "batch_size"}));
    }
    // The CRM: URL from CRM_WEBHOOK_URL or crm.url; the token and signing secret only from the environment.
    auto crm_hook = crm;
    if (auto url = doc.env_("CRM_WEBHOOK_URL")) crm_hook.set("url", *url);
    if (crm_hook.has("url"))
      add(role::sink, "crm", "webhook", {"sentiment"},
          crm_hook.set("body", std::string("envelope")).set("token_env", std::string("CRM_WEBHOOK_TOKEN")).set("secret_env", std::string("CRM_WEBHOOK_SECRET")));
    if (alert_hook) {
      auto hook = al.only({"timeout_ms", "ca_file", "tls_verify"});
      hook.take(al, "webhook_url", "url");
      add(role::sink, "alert_webhook", "webhook", {"sentiment.alerts"},
          hook.set("body", std::string("raw")).set("token_env", std::string("ALERT_WEBHOOK_TOKEN")).set("secret_env", std::string("ALERT_WEBHOOK_SECRET")));
    }
    // The marker: forwarder.marker (default ["participant"]; [] writes none).
    auto marker = section(keep, nullptr, "forwarder", doc.source_, doc.problems_);
    marker.take(fw, "marker", "write").take(fw, "conflict_retries");
    if (!fw.has("marker") || !fw.strings("marker").empty())
      add(role::sink, "marker", "genesys_attributes", {"sentiment"}, marker);
  }

  // [monitor] keeps its transport-independent keys; [forwarder] state_path and
  // state_retention_h are [state] path and retention_h.
  void globals(const section& mon, const section& fw) {
    doc.shorthand_globals_.emplace_back("monitor", mon.only({"max_retries", "reconnect_max_delay_ms", "max_payload_bytes", "json",
                                                                  "transports", "ready_reconnect_budget_s"}));  // kept for messages that name it
    // [state] itself counts too (it was ignored when the file had no [forwarder] keys for it).
    auto state = table("state");
    for (auto [from, to] : {std::pair{"state_path", "path"}, std::pair{"state_retention_h", "retention_h"}}) {
      if (!fw.has(from)) continue;
      if (state.has(to))
        fw.report(from, fw.qualified(from) + " and " + state.qualified(to) + " are the same setting: set one");
      state.take(fw, from, to);
    }
    doc.shorthand_globals_.emplace_back("state", state);
  }
};

document document::parse(std::string_view text, std::string_view source_name, env_lookup env, bool collect) {
  document d;
  d.source_ = std::string(source_name);
  d.env_ = env;
  if (collect) d.problems_ = std::make_shared<problem_list>();
  auto root = std::make_shared<toml::table>();
  try {
    *root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    fail(d.source_ + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  d.root_ = root;
  section top(root, root.get(), "", d.source_, d.problems_);
  bool named = false;
  for (auto& key : top.keys()) {
    if (one_of(key, kRoles)) named = true;
    else if (!one_of(key, kGlobals) && !one_of(key, kShorthand)) top.report(key, "unknown key '" + key + "'");
  }
  for (auto& key : top.keys())
    if (!one_of(key, kRoles)) top.table(key);  // each must be a table
  if (!named) {
    d.shorthand_ = true;
    shorthand_reader{d, root}.read();
    return d;
  }
  for (auto& key : top.keys()) {
    if (one_of(key, kShorthand))
      top.report(key, "[" + key + "] is the shorthand of earlier releases; with [sources], [transforms] or [sinks] tables, "
                    "describe every component there (docs/configuration.md, \"Shorthand\")");
  }
  for (std::string_view r : kRoles) {
    auto group = top.table(r);
    for (auto& id : group.keys()) {
      auto s = group.table(id);
      if (!s.present()) {
        group.report(id, "'" + group.qualified(id) + "' must be a table");
        continue;
      }
      if (!check_id(s, id)) continue;
      auto type = s.string("type");
      if (!type) {
        if (!s.has("type")) s.report({}, "'" + s.name() + "' needs a type");
        continue;
      }
      component c{r == "sources" ? role::source : r == "transforms" ? role::transform : role::sink, id, *type, {}, s};
      if (c.kind == role::source && s.has("inputs")) s.report("inputs", "'" + s.qualified("inputs") + "': a source has no inputs");
      c.inputs = s.strings("inputs");
      d.components_.push_back(std::move(c));
    }
  }
  return d;
}

document document::load(const std::optional<std::string>& path, env_lookup env, bool collect) {
  if (!path) return parse("", "<defaults>", env, collect);
  std::ifstream in(*path);
  if (!in) fail("cannot read config file '" + *path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), *path, env, collect);
}

section document::global(std::string_view name) const {
  for (auto& [n, s] : shorthand_globals_)
    if (n == name) return s;
  auto* n = root_ ? root_->get(name) : nullptr;
  return section(root_, n ? n->as_table() : nullptr, std::string(name), source_, problems_);
}

const component* document::find(std::string_view id) const {
  for (auto& c : components_)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace grm::config
