#pragma once
// [genesys] and [retry]: where the org is and how the relay signs in (docs/configuration.md).
// The Genesys SDKs' variables win over the file: GENESYSCLOUD_OAUTHCLIENT_ID,
// GENESYSCLOUD_OAUTHCLIENT_SECRET, GENESYSCLOUD_REGION. The secret never comes from argv.
#include <string>

#include "config/document.hpp"
#include "genesys/oauth.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace grm::genesys {

struct connection_settings {
  std::string region;      // as given (domain, AWS region or SDK key)
  std::string api_base;    // https://api.{domain}
  std::string login_base;  // https://login.{domain}
  client_credentials credentials;
  net::http_client_options http;
  net::retry_policy api_retry{.max_attempts = 4, .base = std::chrono::milliseconds{500},
                              .cap = std::chrono::milliseconds{30'000}};
};

// Throws relay_error(config) naming the key or variable. Without `needs_org` (commands that only
// read the state database) nothing is required.
connection_settings parse_connection(const config::section& genesys, const config::section& retry, config::env_lookup env,
                                     bool needs_org);

}  // namespace grm::genesys
