#pragma once
// How modules report what happened without depending on a logging library: the app wires a
// log_fn to spdlog, tests capture it. Messages never contain secrets (see core/secret.hpp).
#include <cstdint>
#include <functional>
#include <string_view>

namespace grm {

enum class severity : std::uint8_t { debug, info, warn, error };
using log_fn = std::function<void(severity, std::string_view)>;

}  // namespace grm
