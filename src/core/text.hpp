#pragma once
// Peer text shown to a user (an error body in a log line, the audit log, a dead-letter reason):
// bounded, printable, and with anything that looks like a credential masked, because a peer may
// echo a request back ("Authorization: Bearer ...", "?token=...").
#include <cstddef>
#include <string>
#include <string_view>

namespace grm {

inline constexpr std::size_t default_excerpt_bytes = 160;

// At most `max_bytes` of `text` (cut on a UTF-8 boundary, "…" appended when cut), control
// characters and invalid UTF-8 shown as spaces and '?', whitespace runs collapsed, and the value
// after "Bearer ", "Basic " or a key named like a credential (token, secret, password, signature,
// api_key, ...) followed by '=' or ':' replaced by "<redacted>".
std::string safe_excerpt(std::string_view text, std::size_t max_bytes = default_excerpt_bytes);

}  // namespace grm
