#include "sinks/genesys_attributes/component.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace grm::sinks::genesys_attributes {

std::unique_ptr<delivery::sink> component::build(build_context& ctx) {
  if (!ctx.genesys) throw relay_error(error_kind::config, "the genesys_attributes sink needs the Genesys API");
  return std::make_unique<sink>(*ctx.genesys, settings);
}

std::string component::describe() const {
  return fmt::format("participant={} conversation={} conflict_retries={}", settings.participant, settings.conversation,
                     settings.conflict_retries);
}

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup) {
  s.reject_unknown({"type", "inputs", "write", "conflict_retries", "max_attempts"});
  attributes_settings a;
  if (s.has("write")) {
    a.participant = a.conversation = false;
    for (auto& w : s.strings("write")) {
      if (w == "participant") a.participant = true;
      else if (w == "conversation") a.conversation = true;
      else s.fail("write", s.qualified("write") + ": '" + w + "' is not one of participant, conversation");
    }
    if (!a.participant && !a.conversation) s.fail("write", s.qualified("write") + " is empty: remove the sink instead");
  }
  a.conflict_retries = static_cast<int>(s.integer("conflict_retries", 0, 100).value_or(3));
  return std::make_unique<component>(a);
}

}  // namespace grm::sinks::genesys_attributes
