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

}  // namespace grm::aws
