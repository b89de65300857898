#pragma once
// How the process's log lines look: text on a terminal (as today), JSON lines otherwise, so a
// collector (journald, Vector, Fluent Bit) reads them without a parser. Messages are already
// secret-free (core/secret.hpp); this only shapes them.
#include <string>

namespace grm::app {

// "auto" (text when stderr is a terminal, else json), "text" or "json"; any other value is a
// CLI error before this is called. Sets spdlog's default logger on stderr.
void configure_logging(const std::string& format, const std::string& level);

}  // namespace grm::app
