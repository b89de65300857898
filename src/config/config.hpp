#pragma once
// genesys-relay configuration: TOML file (optional) → typed settings, then the Genesys SDKs'
// environment variables on top (GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET,
// GENESYSCLOUD_REGION). Unknown keys and wrong types are errors naming the key and file line.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/sentiment/forwarding_service.hpp"
#include "sources/monitor_service.hpp"

namespace grm::config {

struct relay_config {
  sources::monitor_settings monitor;
  std::string region;  // as given (domain, AWS region or SDK key)
  bool json_output = false;
  // [forwarder] with its sinks ([eventbridge], [crm], [alerts], [audit]); the monitor forwards
  // continuously when forwarder.enabled is true.
  sentiment::forwarding_settings forwarding;
  bool forward_continuously = false;
  std::string metrics_listen;  // [metrics] listen; empty: no scrape endpoint
  // [service] shutdown_timeout_s: after SIGTERM/SIGINT, how long work in flight may take to
  // finish before it is abandoned (it stays pending for the next start).
  std::chrono::seconds shutdown_timeout{10};
};

// What the configuration is loaded for: the monitor needs topics, a one-shot forward does not.
// What the configuration is loaded for: the monitor needs topics, a one-shot forward does not;
// inspecting the state (dlq list, show, purge) needs no Genesys credentials or region.
enum class purpose { monitor, forward, inspect };

using env_lookup = std::optional<std::string> (*)(const char*);
std::optional<std::string> process_env(const char* name);

// Throws relay_error(config) with a one-line message naming the key or variable.
relay_config load(const std::optional<std::string>& path, env_lookup env = process_env,
                  purpose use = purpose::monitor);
relay_config parse(std::string_view toml_text, std::string_view source_name, env_lookup env,
                   purpose use = purpose::monitor);

// Topics for the configured queues and users (v2.routing.queues.{id}.conversations, ...).
std::vector<std::string> conversation_topics(const std::vector<std::string>& queues,
                                             const std::vector<std::string>& users);

}  // namespace grm::config
