#include "net/settings.hpp"

#include "net/endpoint.hpp"

namespace grm::net {

http_client_options client_options(const config::section& s, const std::string& url) {
  http_client_options o;
  o.proxy = proxy_settings::from_env();
  if (auto ca = s.string("ca_file")) {
    o.tls.ca_file = *ca;
    o.tls.ca_file_setting = s.qualified("ca_file");
  }
  o.tls.verify_peer = s.boolean("tls_verify").value_or(true);
  // The host is parsed from the URL (a substring test would accept https://localhost.example.com).
  if (!o.tls.verify_peer && !is_loopback_url(url))
    s.fail("tls_verify", s.qualified("tls_verify") + " = false is only allowed for " + std::string(kLoopbackHosts) + ", not " +
                             (url.empty() ? "the Region's endpoint" : redacted_url(url)));
  return o;
}

void require_secure_scheme(const config::section& s, std::string_view key, const std::string& url, std::string_view what) {
  if (url.rfind("https://", 0) == 0 || url.rfind("wss://", 0) == 0 || is_loopback_url(url)) return;
  s.fail(key, std::string(what) + " " + redacted_url(url) + " must be https:// (plain http only to " + std::string(kLoopbackHosts) + ")");
}

}  // namespace grm::net
