#pragma once
// A configuration file as components wired by id (Vector's model):
//
//   [sources.<id>]     type = "notifications" | "sse"
//   [transforms.<id>]  type = "filter" | "sentiment", inputs = [ids]
//   [sinks.<id>]       type = "eventbridge" | "webhook" | "file" | "genesys_attributes", inputs = [ids]
//
// plus the service-wide tables ([genesys], [retry], [monitor], [state], [outbox], [audit],
// [metrics], [service]). A file without [sources], [transforms] or [sinks] is read in the
// shorthand of earlier releases: [monitor] queues/transports become sources, [forwarder] the
// "sentiment" transform, [eventbridge], [crm], [alerts] webhook_url and forwarder.marker the sinks
// "eventbridge", "crm", "alert_webhook" and "marker" (docs/configuration.md has the mapping).
// Settings copied from the shorthand keep their file and line, and their section names, so an
// error names the key where the file sets it.
//
// config/ knows no component: it only checks the shape (ids, type, inputs are strings) and
// hands each component its section; the components parse their own keys (each folder's
// config.cpp) and src/topology wires them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/section.hpp"

namespace grm::config {

using env_lookup = std::optional<std::string> (*)(const char*);
std::optional<std::string> process_env(const char* name);

enum class role : std::uint8_t { source, transform, sink };
std::string_view to_string(role r) noexcept;  // "source", "transform", "sink"

struct component {
  role kind = role::sink;
  std::string id;
  std::string type;
  std::vector<std::string> inputs;  // ids, or "<id>.<output>" (e.g. "sentiment.alerts")
  section settings;                 // the whole table (type and inputs included)
};

class document final {
 public:
  // Throws relay_error(config) naming the file and line. With `collect` (validate), only a file
  // that cannot be read or is not TOML throws; every other problem is kept in problems() and
  // reading goes on, each table and component read through sections that collect too.
  static document parse(std::string_view text, std::string_view source_name, env_lookup env = process_env,
                        bool collect = false);
  static document load(const std::optional<std::string>& path, env_lookup env = process_env, bool collect = false);

  // A service-wide table ("genesys", "monitor", ...); absent: present() is false.
  section global(std::string_view name) const;
  const std::vector<component>& components() const noexcept { return components_; }
  const component* find(std::string_view id) const;
  bool shorthand() const noexcept { return shorthand_; }  // the components came from the old sections
  env_lookup env() const noexcept { return env_; }
  const std::string& source() const noexcept { return source_; }
  const std::shared_ptr<problem_list>& problems() const noexcept { return problems_; }  // null: not collecting

 private:
  document() = default;
  std::shared_ptr<toml::table> root_;
  std::vector<std::pair<std::string, section>> shorthand_globals_;  // [monitor] and [state] rewritten from the shorthand
  std::vector<component> components_;
  std::string source_;
  std::shared_ptr<problem_list> problems_;
  env_lookup env_ = process_env;
  bool shorthand_ = false;
  friend struct shorthand_reader;
};

}  // namespace grm::config
