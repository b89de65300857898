#include "aws/shared_config.hpp"

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "core/error.hpp"

namespace grm::aws {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

shared_files files_of(std::string_view config, std::string_view creds) {
  shared_files f;
  f.config_path = "/home/u/.aws/config";
  f.credentials_path = "/home/u/.aws/credentials";
  parse_shared_file(config, f.config_path, true, f);
  parse_shared_file(creds, f.credentials_path, false, f);
  return f;
}

constexpr std::string_view kConfig = R"(# comment
[default]
region = eu-west-1

[profile local]
region = us-east-1
services = local-events
; another comment
[profile keys-in-config]
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = config-secret

[services local-events]
eventbridge =
  endpoint_url = http://localhost:4566
sts =
  endpoint_url = http://localhost:4567

[sso-session corp]
sso_region = us-east-1
sso_start_url = https://d-abc123.awsapps.com/start
[unknown-kind name]
key = skipped
)";

constexpr std::string_view kCredentials = R"([default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[local]
aws_access_key_id=AKIDLOCAL
aws_secret_access_key=local-secret
aws_session_token=local-token
)";

TEST(SharedConfig, ProfilesComeFromBothFilesWithTheProfilePrefixOnlyInConfig) {
  auto f = files_of(kConfig, kCredentials);
  auto c = profile_credentials(f, "local");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIDLOCAL");
  EXPECT_EQ(c->secret_access_key.reveal(), "local-secret");
  EXPECT_EQ(c->session_token.reveal(), "local-token");
  EXPECT_EQ(c->source, "profile 'local' in /home/u/.aws/credentials");
  auto in_config = profile_credentials(f, "keys-in-config");
  ASSERT_TRUE(in_config);
  EXPECT_EQ(in_config->access_key_id, "AKIDCONFIG");
  EXPECT_FALSE(profile_credentials(f, "absent"));
}

// The SSO token cache names its files by the SHA-1 of the sso-session name (or of the start URL
// for legacy profiles); these are `printf %s NAME | sha1sum`.
TEST(SharedConfig, TheSsoCacheFileNameIsTheSha1OfTheSessionOrStartUrl) {
  EXPECT_EQ(grm::sha1_hex("my-sso"), "0ad374308c5a4e22f723adf10145eafad7c4031c");
  EXPECT_EQ(grm::sha1_hex("https://d-abc123.awsapps.com/start"), "40a89917e3175433e361b710a9d43528d7f1890a");
}

TEST(SharedConfig, SsoSessionsAreTheirOwnSectionsAndUnknownKindsAreSkipped) {
  auto f = files_of(kConfig, kCredentials);
  ASSERT_TRUE(f.sso_sessions.contains("corp"));
  EXPECT_EQ(*f.sso_sessions.at("corp").get("sso_start_url"), "https://d-abc123.awsapps.com/start");
  EXPECT_FALSE(f.config_profiles.contains("corp"));
  EXPECT_FALSE(f.config_profiles.contains("unknown-kind name"));
  EXPECT_FALSE(f.config_profiles.contains("name"));
}

TEST(SharedConfig, RegionFromEnvironmentFirstThenTheProfile) {
  auto f = files_of(kConfig, kCredentials);
  EXPECT_EQ(resolve_region(env_of({}), f, "default"), "eu-west-1");
  EXPECT_EQ(resolve_region(env_of({{"AWS_DEFAULT_REGION", "ap-south-1"}}), f, "default"), "ap-south-1");
  EXPECT_EQ(resolve_region(env_of({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}), f, "default"), "us-west-2");
  EXPECT_EQ(resolve_region(env_of({}), f, "local"), "us-east-1");
}

TEST(SharedConfig, EndpointOverrideInTheSdksOrder) {
  auto f = files_of(kConfig, kCredentials);
  auto resolve = [&](std::map<std::string, std::string> vars, const std::string& profile) {
    return resolve_endpoint(env_of(std::move(vars)), f, profile, "EVENTBRIDGE", "eventbridge");
  };
  EXPECT_EQ(resolve({}, "local"), "http://localhost:4566");  // [services local-events] eventbridge
  EXPECT_EQ(resolve({{"AWS_ENDPOINT_URL", "http://global:1"}}, "local"), "http://global:1");
  EXPECT_EQ(resolve({{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_ENDPOINT_URL_EVENTBRIDGE", "http://eb:2"}}, "local"),
            "http://eb:2");
  EXPECT_EQ(resolve({{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}, "local"),
            std::nullopt);
  EXPECT_EQ(resolve({}, "default"), std::nullopt);
}

TEST(SharedConfig, EnvironmentCredentialsNeedBothHalvesAndNameTheMissingOne) {
  EXPECT_FALSE(environment_credentials(env_of({})));
  auto c = environment_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_SESSION_TOKEN", "t"}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_token.reveal(), "t");
  EXPECT_EQ(c->source, "environment variables");
  try {
    environment_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}}));
    FAIL();
  } catch (const relay_error& e) {
    EXPECT_STREQ(e.what(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
}

TEST(SharedConfig, AHalfProfileIsAPreciseErrorWithoutTheSecret) {
  auto f = files_of("", "[broken]\naws_secret_access_key = do-not-print-me\n");
  try {
    profile_credentials(f, "broken");
    FAIL();
  } catch (const relay_error& e) {
    std::string m = e.what();
    EXPECT_EQ(m, "/home/u/.aws/credentials: profile 'broken' has aws_secret_access_key but no aws_access_key_id");
    EXPECT_EQ(m.find("do-not-print-me"), std::string::npos);
  }
}

TEST(SharedConfig, AMalformedLineNamesFileAndLine) {
  shared_files f;
  try {
    parse_shared_file("[default]\nregion = x\nthis is not ini\n", "/etc/aws/config", true, f);
    FAIL();
  } catch (const relay_error& e) {
    EXPECT_STREQ(e.what(), "/etc/aws/config:3: expected 'key = value'");
  }
}

TEST(SharedConfig, ProfileNameFromEnvironment) {
  EXPECT_EQ(profile_name(env_of({})), "default");
  EXPECT_EQ(profile_name(env_of({{"AWS_DEFAULT_PROFILE", "b"}})), "b");
  EXPECT_EQ(profile_name(env_of({{"AWS_PROFILE", "a"}, {"AWS_DEFAULT_PROFILE", "b"}})), "a");
}

}  // namespace
}  // namespace grm::aws
