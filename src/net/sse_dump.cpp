#include "net/sse_dump.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

namespace grm::net {

std::string sse_event_json(const sse_event& event) {
  std::string out = "{\"event\":";
  out += boost::json::serialize(boost::json::string_view(event.type.data(), event.type.size()));
  out += ",\"id\":";
  out += boost::json::serialize(
      boost::json::string_view(event.last_event_id.data(), event.last_event_id.size()));
  out += ",\"data\":";
  out += boost::json::serialize(boost::json::string_view(event.data.data(), event.data.size()));
  out += '}';
  return out;
}

std::string sse_retry_json(std::uint64_t retry_ms) {
  return "{\"retry\":" + std::to_string(retry_ms) + "}";
}

}  // namespace grm::net
