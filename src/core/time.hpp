#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grm {

using sys_ms = std::chrono::sys_time<std::chrono::milliseconds>;

// "2026-11-20T10:00:01.120Z": RFC 3339, UTC, millisecond precision.
std::string format_rfc3339(sys_ms t);
std::string format_rfc3339_epoch_ms(std::int64_t epoch_ms);
std::optional<sys_ms> parse_rfc3339(std::string_view text);

// HTTP dates (RFC 9110 section 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms
// that recipients must still accept.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);
std::string format_http_date(std::chrono::sys_seconds t);

}  // namespace grm
