#pragma once
// How the process's log lines look: text on a terminal (as today), JSON lines otherwise, so a
// collector (journald, Vector, Fluent Bit) reads them without a parser. Messages are already
// secret-free (core/secret.hpp); this only shapes them.
#include <functional>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace grm::app {

// "auto" (text when stderr is a terminal, else json), "text" or "json"; any other value is a
// CLI error before this is called. Sets spdlog's default logger on stderr.
void configure_logging(const std::string& format, const std::string& level);

// The logger of one module ("genesys-relay.<module>", the `logger` of a JSON line), writing where
// the default logger writes, with its format and level (topology::service_hooks::module_log).
std::function<void(grm::severity, std::string_view)> module_log(std::string_view module);

}  // namespace grm::app
