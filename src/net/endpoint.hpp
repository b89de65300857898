#pragma once
// Splits an absolute http(s)/ws(s) URL into what a connection needs.
#include <cstdint>
#include <string>
#include <string_view>

namespace grm::net {

struct endpoint {
  bool tls = false;
  std::string host;   // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target; // path and query, "/" at least

  std::string pool_key() const;
  std::string host_header() const;
};

// Throws relay_error(config) naming the URL when it is not absolute http, https, ws or wss.
endpoint parse_endpoint(std::string_view url);

// True for http(s)/ws(s) URLs on 127.0.0.0/8, localhost or [::1]: the only places where TLS
// verification may be switched off.
bool is_loopback_url(std::string_view url);

}  // namespace grm::net
