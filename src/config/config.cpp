#include "config/config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "genesys/regions.hpp"
#include "net/endpoint.hpp"

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

relay_config parse(std::string_view text, std::string_view source, env_lookup env) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    fail(std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  reject_unknown(root, {"genesys", "monitor", "retry"}, "", source);
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
  m.http.tls.verify_peer = get<bool>(g, "tls_verify", "genesys", source).value_or(true);

  auto& mon = section("monitor");
  reject_unknown(mon, {"transports", "queues", "users", "topics", "event_types", "media_types", "max_retries",
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
  m.reconnect.max_retries = static_cast<int>(positive(get<std::int64_t>(mon, "max_retries", "monitor", source), 5, "max_retries", mon, source, 0));
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

  // Environment (the Genesys SDKs' variables) wins over the file.
  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_ID")) m.credentials.client_id = *v;
  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_SECRET")) m.credentials.client_secret = secret(*v);
  if (auto v = env("GENESYSCLOUD_REGION")) cfg.region = *v;
  m.http.proxy = net::proxy_settings::from_env();

  if (api_url.empty() || login_url.empty()) {
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
  if (m.credentials.client_id.empty())
    fail("missing OAuth client id: set GENESYSCLOUD_OAUTHCLIENT_ID (or genesys.client_id in the config file)");
  if (m.credentials.client_secret.empty())
    fail("missing OAuth client secret: set GENESYSCLOUD_OAUTHCLIENT_SECRET");
  if (!m.http.tls.verify_peer && !(net::is_loopback_url(api_url) && net::is_loopback_url(login_url)))
    fail("genesys.tls_verify = false is only allowed against a local simulator (loopback api_url and login_url)");
  if (m.use_notifications && m.notifications.topics.empty())
    fail("monitor: no topics to subscribe to: set monitor.queues, monitor.users or monitor.topics (or use transports = [\"sse\"])");
  return cfg;
}

relay_config load(const std::optional<std::string>& path, env_lookup env) {
  if (!path) return parse("", "<defaults>", env);
  std::ifstream in(*path);
  if (!in) fail("cannot read config file '" + *path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), *path, env);
}

}  // namespace grm::config
