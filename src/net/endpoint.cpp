#include "net/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/error.hpp"

namespace grm::net {

std::string endpoint::pool_key() const {
  return (tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

std::string endpoint::host_header() const {
  bool default_port = (tls && port == 443) || (!tls && port == 80);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

bool is_loopback_url(std::string_view url) {
  for (auto p : {"://127.", "://localhost", "://[::1]"})
    if (url.find(p) != std::string_view::npos) return true;
  return false;
}

endpoint parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed)
    throw relay_error(error_kind::config, "'" + std::string(url) + "' is not an absolute URL");
  boost::urls::url_view u = *parsed;
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
