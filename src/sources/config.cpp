#include "sources/config.hpp"

#include "core/error.hpp"
#include "pipeline/config.hpp"

namespace grm::sources {

namespace {

std::vector<std::string> topics_for(const std::vector<std::string>& queues, const std::vector<std::string>& users) {
  std::vector<std::string> topics;
  for (auto& q : queues) topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : users) topics.push_back("v2.users." + u + ".conversations");
  return topics;
}

}  // namespace

std::string_view to_string(transport t) noexcept { return t == transport::sse ? "sse" : "notifications"; }

transport transport_of(std::string_view origin) noexcept {
  return origin.starts_with("sse:") ? transport::sse : transport::notifications;
}

void parse_monitor(const config::section& mon, const net::retry_policy& api_retry, bool shorthand, monitor_settings& m,
                   bool& json_output) {
  if (!shorthand)
    for (auto key : {"transports", "queues", "users", "topics", "event_types", "media_types", "heartbeat_timeout_ms",
                     "rotate_before_expiry_s", "topics_per_channel"})
      if (mon.has(key))
        mon.fail(key, "'" + mon.qualified(key) + "' belongs to a source when the file has [sources] tables: set it in "
                      "[sources.<id>] (docs/configuration.md)");
  if (shorthand)
    mon.reject_unknown({"max_retries", "reconnect_max_delay_ms", "max_payload_bytes", "json", "transports", "ready_reconnect_budget_s"});
  else mon.reject_unknown({"max_retries", "reconnect_max_delay_ms", "max_payload_bytes", "json", "ready_reconnect_budget_s"});
  m.ready_reconnect_budget = std::chrono::seconds{mon.integer("ready_reconnect_budget_s", 0, 3600).value_or(30)};
  m.reconnect.max_retries = static_cast<int>(mon.integer("max_retries", 0, 1'000'000'000).value_or(0));
  m.max_payload_bytes = static_cast<std::size_t>(mon.integer("max_payload_bytes", 1, 64 << 20).value_or(256 * 1024));
  json_output = mon.boolean("json").value_or(false);
  m.reconnect.backoff.base = api_retry.base * 2;
  m.reconnect.backoff.cap = std::chrono::milliseconds{mon.integer("reconnect_max_delay_ms", 1, 3'600'000).value_or(60'000)};
}

source_spec parse_source(const config::component& c, monitor_settings& m, bool streams) {
  auto& s = c.settings;
  source_spec spec;
  spec.id = c.id;
  auto filter = [&] { return pipeline::parse_filter(s.only({"event_types", "media_types"})); };
  if (c.type == "notifications") {
    s.reject_unknown({"type", "queues", "users", "topics", "event_types", "media_types", "heartbeat_timeout_ms",
                      "rotate_before_expiry_s", "topics_per_channel"});
    if (m.use_notifications) s.fail({}, "'" + s.name() + "': a second notifications source; list every queue and user in one");
    m.use_notifications = true;
    spec.queues = s.strings("queues");
    auto& n = m.notifications;
    n.topics = topics_for(spec.queues, s.strings("users"));
    for (auto& t : s.strings("topics")) n.topics.push_back(t);
    n.heartbeat_timeout = std::chrono::milliseconds{s.integer("heartbeat_timeout_ms", 1, 3'600'000).value_or(65'000)};
    n.rotate_before_expiry = std::chrono::seconds{s.integer("rotate_before_expiry_s", 0, 86'400).value_or(600)};
    n.topics_per_channel = static_cast<std::size_t>(s.integer("topics_per_channel", 1).value_or(1000));
    if (n.topics_per_channel > 1000)
      s.fail("topics_per_channel", s.qualified("topics_per_channel") + " may be at most 1000 (the API's per-channel limit)");
    spec.filter = m.filter = filter();
    if (streams && n.topics.empty())
      s.fail({}, s.name() + ": no topics to subscribe to: set " + s.qualified("queues") + ", " + s.qualified("users") + " or " +
                     s.qualified("topics") + " (or use the sse source)");
  } else if (c.type == "sse") {
    s.reject_unknown({"type", "event_types", "media_types"});
    if (m.use_sse) s.fail({}, "'" + s.name() + "': a second sse source");
    m.use_sse = true;
    spec.type = transport::sse;
    spec.filter = m.sse_filter = filter();
    std::vector<std::string> kinds;
    for (auto k : spec.filter.kinds) kinds.emplace_back(to_string(k));
    m.sse.query_json = default_sse_query(kinds, s.strings("media_types"));
  } else {
    s.fail("type", s.qualified("type") + ": '" + c.type + "' is not a source type (notifications, sse)");
  }
  return spec;
}

}  // namespace grm::sources
