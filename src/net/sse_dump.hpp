#pragma once
// The `sse-parse` debugging format: one JSON object per dispatched event,
// exactly {"event":E,"id":I,"data":D}, and {"retry":N} for a valid retry field.
#include <cstdint>
#include <string>

#include "net/sse_parser.hpp"

namespace grm::net {

std::string sse_event_json(const sse_event& event);
std::string sse_retry_json(std::uint64_t retry_ms);

}  // namespace grm::net
