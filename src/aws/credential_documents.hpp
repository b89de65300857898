#pragma once
// The documents credential providers read: STS XML, the container/IMDS JSON and the
// credential_process JSON. Pure functions (no I/O, no Asio), fuzzed in fuzz/aws_fuzz.cpp.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"

namespace grm::aws {

// ISO 8601 / RFC 3339 times as AWS writes them ("2026-11-22T12:00:00Z").
std::optional<std::chrono::system_clock::time_point> parse_aws_time(std::string_view text);

// AssumeRoleWithWebIdentityResult/Credentials; throws relay_error(invalid_payload).
credentials parse_sts_credentials(std::string_view xml, std::string_view source);
// "Code: Message" of an STS ErrorResponse.
std::string sts_error_message(std::string_view xml);
// {"Code"?, "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}; throws relay_error.
credentials parse_metadata_credentials(std::string_view json, std::string_view source);
// {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}; throws
// relay_error(auth) without repeating the document (it holds the secret).
credentials parse_process_output(std::string_view json_text, std::string_view source);

// IAM Identity Center GetRoleCredentials: {"roleCredentials": {"accessKeyId", "secretAccessKey",
// "sessionToken", "expiration" (epoch milliseconds)}}; throws relay_error(invalid_payload).
credentials parse_sso_role_credentials(std::string_view json_text, std::string_view source);
// The "message" of an IAM Identity Center error body, bounded; "(no error message)" otherwise.
std::string sso_error_message(std::string_view json_text);

// The token cache `aws sso login` writes (~/.aws/sso/cache/<sha1>.json): nullopt without
// accessToken and expiresAt. `refreshable`: it holds refreshToken, clientId and clientSecret.
struct sso_token_cache {
  std::string access_token, expires_at;
  bool refreshable = false;
};
std::optional<sso_token_cache> parse_sso_token_cache(std::string_view json_text);
// SSO OIDC CreateToken's body for the cache's refresh token (grant refresh_token).
std::string sso_refresh_request(std::string_view cache_text);
// The cache with CreateToken's answer applied (accessToken, expiresAt = now + expiresIn, a new
// refreshToken if sent; every other field kept), and the new access token; nullopt when the
// answer has no accessToken and expiresIn.
struct sso_renewal {
  std::string access_token, cache_text;
};
std::optional<sso_renewal> apply_sso_renewal(std::string_view cache_text, std::string_view answer,
                                             std::chrono::system_clock::time_point now);
// " error: error_description" of an OIDC error answer, bounded; empty when there is none.
std::string sso_oidc_error(std::string_view answer);

}  // namespace grm::aws
