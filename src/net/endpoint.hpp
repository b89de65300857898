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

// True only when the URL parses and its host is literally loopback: an IPv4 address in
// 127.0.0.0/8, [::1] or "localhost". The only places where TLS verification may be switched off
// or plain http may carry credentials. "https://localhost.example.com" and
// "https://example.com/?x=://127.0.0.1" are not loopback.
bool is_loopback_url(std::string_view url);
bool is_loopback_host(std::string_view host);

// The URL as it may appear in a log line or an error message: scheme, host, port and path, with
// no user info, query or fragment (a token in a query string must not leak). A string that does
// not parse as an absolute URL is shown as "<invalid URL>".
std::string redacted_url(std::string_view url);

}  // namespace grm::net
