#include "genesys/config.hpp"

#include "core/error.hpp"
#include "genesys/regions.hpp"
#include "net/endpoint.hpp"
#include "net/settings.hpp"

namespace grm::genesys {

namespace {

[[noreturn]] void fail(std::string message) { throw relay_error(error_kind::config, std::move(message)); }

// The hosts from the Region, unless the file names them (a gateway or the simulator).
void resolve_hosts(connection_settings& c) {
  if (!c.api_base.empty() && !c.login_base.empty()) return;
  if (c.region.empty() && c.api_base.empty())
    fail("no Genesys Cloud region: set GENESYSCLOUD_REGION (e.g. mypurecloud.com, usw2.pure.cloud) or genesys.region / "
         "genesys.api_url in the config file");
  if (!c.region.empty()) {
    auto reg = find_region(c.region);
    if (!reg)
      fail("GENESYSCLOUD_REGION / genesys.region '" + c.region +
           "' is not a Genesys Cloud region (e.g. mypurecloud.com, mypurecloud.ie, usw2.pure.cloud, eu-west-1)");
    auto h = hosts_for(*reg);
    if (c.api_base.empty()) c.api_base = h.api_base;
    if (c.login_base.empty()) c.login_base = h.login_base;
  } else if (c.login_base.empty()) {
    c.login_base = c.api_base;  // a gateway/simulator serving both, as the SDK's setGateway does
  }
}

}  // namespace

connection_settings parse_connection(const config::section& g, const config::section& r, config::env_lookup env, bool needs_org) {
  g.reject_unknown({"region", "api_url", "login_url", "client_id", "client_secret", "ca_file", "tls_verify"});
  r.reject_unknown({"max_attempts", "base_ms", "cap_ms"});
  connection_settings c;
  c.region = g.string("region").value_or("");
  c.api_base = g.string("api_url").value_or("");
  c.login_base = g.string("login_url").value_or("");
  // Not a secret, but it may be a reference like the secret beside it ("${GENESYSCLOUD_OAUTHCLIENT_ID}").
  if (auto id = g.secret_value("client_id", env)) c.credentials.client_id = std::string(id->reveal());
  if (auto s = g.secret_value("client_secret", env)) c.credentials.client_secret = std::move(*s);
  if (auto ca = g.string("ca_file")) {
    c.http.tls.ca_file = *ca;
    c.http.tls.ca_file_setting = "genesys.ca_file";
  }
  c.http.tls.verify_peer = g.boolean("tls_verify").value_or(true);
  c.http.proxy = net::proxy_settings::from_env();
  c.api_retry.max_attempts = static_cast<int>(r.integer("max_attempts", 1, 100).value_or(4));
  c.api_retry.base = std::chrono::milliseconds{r.integer("base_ms", 1, 600'000).value_or(500)};
  c.api_retry.cap = std::chrono::milliseconds{r.integer("cap_ms", 1, 3'600'000).value_or(30'000)};

  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_ID")) c.credentials.client_id = *v;
  if (auto v = env("GENESYSCLOUD_OAUTHCLIENT_SECRET")) c.credentials.client_secret = secret(*v);
  if (auto v = env("GENESYSCLOUD_REGION")) c.region = *v;
  if (!needs_org) return c;

  resolve_hosts(c);
  bool id_reported = g.problems() && g.has("client_id");  // validate: the reference's own problem is listed
  if (c.credentials.client_id.empty() && !id_reported)
    fail("missing OAuth client id: set GENESYSCLOUD_OAUTHCLIENT_ID (or genesys.client_id in the config file)");
  bool reported = g.problems() && g.has("client_secret");  // validate: the reference's own problem is listed
  if (c.credentials.client_secret.empty() && !reported) fail("missing OAuth client secret: set GENESYSCLOUD_OAUTHCLIENT_SECRET");
  net::require_secure_scheme(g, "api_url", c.api_base, "genesys.api_url");
  net::require_secure_scheme(g, "login_url", c.login_base, "genesys.login_url");
  if (!c.http.tls.verify_peer)
    for (auto* url : {&c.api_base, &c.login_base})
      if (!net::is_loopback_url(*url))
        g.fail("tls_verify", "genesys.tls_verify = false is only allowed when genesys.api_url and genesys.login_url are " +
                                 std::string(net::kLoopbackHosts) + ", not " + net::redacted_url(*url));
  return c;
}

}  // namespace grm::genesys
