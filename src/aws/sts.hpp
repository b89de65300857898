#pragma once
// What the networked credential providers share: the STS endpoint the SDKs resolve
// (AWS_ENDPOINT_URL_STS, the profile's services section, else the regional endpoint), the form
// encoding of Query calls, and one call with the providers' retry budget.
#include <boost/asio/awaitable.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "aws/shared_config.hpp"
#include "net/http.hpp"

namespace grm::aws {

std::string sts_url(const env_lookup& env, const shared_files& files, const std::string& profile,
                    const std::string& region);
// The region STS calls are signed for: the configured one, else us-east-1 (the global endpoint's).
std::string sts_signing_region(const std::string& region);
// One call of a credential provider (STS, IAM Identity Center, OIDC) with the providers' retry
// budget; a failure names what it was for and keeps its kind, so an outage stays retryable.
boost::asio::awaitable<net::http_response> credential_call(net::http_client& http, net::http_request req,
                                                           const std::string& what);
std::string form_encode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

}  // namespace grm::aws
