#pragma once
// The AWS SDKs' shared configuration: environment variables and the ~/.aws/config and
// ~/.aws/credentials files (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html),
// resolved the way the SDKs do — region, endpoint override and the static-key providers. The
// networked providers (web identity, container, IMDS) build on this in credentials.hpp.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"

namespace grm::aws {

using env_lookup = std::function<std::optional<std::string>(std::string_view)>;
env_lookup process_environment();

// One section: key = value pairs, plus nested blocks (`services` style: a key with an empty
// value followed by indented sub-keys).
struct ini_section {
  std::map<std::string, std::string> values;
  std::map<std::string, std::map<std::string, std::string>> nested;
  const std::string* get(const std::string& key) const;
};

struct shared_files {
  std::map<std::string, ini_section> config_profiles;      // [default], [profile NAME]
  std::map<std::string, ini_section> credential_profiles;  // [NAME]
  std::map<std::string, ini_section> services;             // [services NAME]
  std::map<std::string, ini_section> sso_sessions;         // [sso-session NAME]
  std::string config_path, credentials_path;               // where they were looked for
};

// Parses INI text; `config_style` strips the "profile " prefix and collects [services ...] and
// [sso-session ...].
// Throws relay_error(config) naming file:line on a malformed line.
void parse_shared_file(std::string_view text, std::string_view path, bool config_style, shared_files& out);
// Reads AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE or ~/.aws/{config,credentials}; missing
// files are fine (empty).
shared_files load_shared_files(const env_lookup& env);

// The whole file, or nullopt when it cannot be read (the shared files may legitimately be absent).
std::optional<std::string> read_file_if_present(const std::string& path);

std::string profile_name(const env_lookup& env);  // AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN / AWS_SECURITY_TOKEN). One of
// the pair without the other is an error naming the missing variable.
std::optional<credentials> environment_credentials(const env_lookup& env);
// aws_access_key_id/aws_secret_access_key(/aws_session_token) of the profile; the credentials
// file wins over the config file.
std::optional<credentials> profile_credentials(const shared_files& files, const std::string& profile);

// AWS_REGION, AWS_DEFAULT_REGION, then the profile's region; empty when none.
std::string resolve_region(const env_lookup& env, const shared_files& files, const std::string& profile);
// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services section, the profile's
// endpoint_url; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
std::optional<std::string> resolve_endpoint(const env_lookup& env, const shared_files& files,
                                            const std::string& profile, std::string_view service_env_suffix,
                                            std::string_view service_key);

}  // namespace grm::aws
