#include "net/endpoint.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cctype>
#include <optional>

#include "core/error.hpp"

namespace grm::net {

namespace {

// Boost.URL 1.81 reads a host that begins like an IPv4 address ("127.0.0.1.nip.io") as that
// address and the rest as a path that does not start with '/' (boostorg/url#755, fixed in 1.83).
// Such a URL would be sent to the wrong host, so every parse here goes through this check.
bool misparsed(const boost::urls::url_view& u) {
  auto path = u.encoded_path();
  return u.has_authority() && !path.empty() && path.front() != '/';
}

std::optional<boost::urls::url_view> parse_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);  // URI, not absolute-URI: a fragment is allowed
  if (!parsed || !parsed->has_authority() || misparsed(*parsed)) return std::nullopt;
  return *parsed;
}

}  // namespace

std::string endpoint::pool_key() const {
  return (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

std::string endpoint::host_header() const {
  bool default_port = (tls && port == 443) || (!tls && port == 80);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

bool is_loopback_host(std::string_view host) {
  // Strict address grammars (RFC 3986): "127.0.0.1.nip.io" is a name, not an address.
  if (auto v4 = boost::urls::parse_ipv4_address(host)) return (v4->to_uint() >> 24) == 127;
  if (auto v6 = boost::urls::parse_ipv6_address(host)) return v6->is_loopback();  // ::1 only
  if (host.size() != 9) return false;
  for (std::size_t i = 0; i < host.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(host[i])) != "localhost"[i]) return false;
  return true;
}

bool is_loopback_url(std::string_view url) {
  auto parsed = parse_url(url);
  return parsed && is_loopback_host(parsed->host_address());
}

std::string redacted_url(std::string_view url) {
  auto parsed = parse_url(url);
  if (!parsed) return "<invalid URL>";
  std::string out = std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
  out += parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  return out;
}

endpoint parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    throw relay_error(error_kind::config, "'" + std::string(url) + "' is not an absolute URL");
  boost::urls::url_view u = *parsed;
  if (misparsed(u))
    throw relay_error(error_kind::config, "'" + std::string(url) + "': a host name that begins like an IPv4 address is not "
                                          "supported (Boost.URL 1.81 reads it as the address); use the address or another name");
  endpoint ep;
  auto scheme = u.scheme();
  if (scheme == "https" || scheme == "wss") ep.tls = true;
  else if (scheme != "http" && scheme != "ws")
    throw relay_error(error_kind::config,
                      "'" + std::string(url) + "': scheme must be http, https, ws or wss");
  ep.host = u.host_address();
  if (ep.host.empty()) throw relay_error(error_kind::config, "'" + std::string(url) + "' has no host");
  if (u.has_port()) ep.port = u.port_number();
  else ep.port = ep.tls ? 443 : 80;
  ep.target = u.encoded_target().empty() ? "/" : std::string(u.encoded_target());
  if (ep.target.front() != '/') ep.target.insert(ep.target.begin(), '/');
  return ep;
}

}  // namespace grm::net
