#pragma once
// The AWS default credential chain, in the AWS C++ SDK's order: environment → shared profile
// (as the AWS CLI resolves one: role_arn + source_profile/credential_source through STS
// AssumeRole, then IAM Identity Center via the SSO token cache, then static keys) → web identity
// (STS AssumeRoleWithWebIdentity) → credential_process → container (ECS/EKS) → EC2 instance
// metadata (IMDSv2). Temporary credentials are refreshed ahead
// of their expiry by `credentials_cache` without stalling callers.
//
// A provider answers nullopt when it is not configured (the chain moves on) and throws when it is
// configured but unusable: a broken web-identity setup must not silently fall through to another
// identity. When nothing is configured the error lists every place that was looked at.
//
// Threading: providers and the cache belong to the executor of the http_client they use, and are
// destroyed before its io_context (the cache parks waiters on a timer of that executor).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/credential_documents.hpp"
#include "aws/shared_config.hpp"
#include "aws/sigv4.hpp"
#include "core/log.hpp"

namespace grm::net {
class http_client;
}

namespace grm::aws {

class credential_provider {
 public:
  virtual ~credential_provider() = default;
  // For the "looked in" message: "environment (AWS_ACCESS_KEY_ID)", "web identity (...)".
  virtual std::string describe() const = 0;
  virtual boost::asio::awaitable<std::optional<credentials>> fetch() = 0;
};

// Where the networked providers connect. Defaults are AWS's fixed addresses; tests point them at
// the simulator (the SDKs' own variables do the same for users: AWS_ENDPOINT_URL_STS,
// AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_EC2_METADATA_SERVICE_ENDPOINT).
struct provider_endpoints {
  std::string container_host = "http://169.254.170.2";
  std::chrono::milliseconds metadata_timeout{1000};  // IMDS and container, per request (SDK default)
  int metadata_attempts = 2;
};

struct chain_context {
  env_lookup env;
  shared_files files;
  std::string profile;
  std::string region;  // for STS
  net::http_client* http = nullptr;  // for the networked providers; they are skipped without one
  provider_endpoints endpoints;
  log_fn log;  // warnings that are not errors (a renewed SSO token that could not be written back)
};

// Keys the caller already has (its own secret store, tests, benchmarks).
std::unique_ptr<credential_provider> static_provider(credentials keys);
std::unique_ptr<credential_provider> environment_provider(env_lookup env);
// The profile named by ctx.profile, in profile_provider.cpp.
std::unique_ptr<credential_provider> profile_provider(const chain_context& ctx);
std::unique_ptr<credential_provider> process_provider(shared_files files, std::string profile);
std::unique_ptr<credential_provider> web_identity_provider(const chain_context& ctx);
std::unique_ptr<credential_provider> container_provider(const chain_context& ctx);
std::unique_ptr<credential_provider> imds_provider(const chain_context& ctx);

// The chain: the first provider that answers wins and is kept for later refreshes.
std::unique_ptr<credential_provider> default_chain(const chain_context& ctx);
std::unique_ptr<credential_provider> chain_of(std::vector<std::unique_ptr<credential_provider>> providers);

struct refresh_options {
  // Within `advisory` of the expiry a refresh starts in the background and callers keep the
  // current credentials; within `mandatory` callers wait for fresh ones (botocore: 15 / 10 min).
  std::chrono::milliseconds advisory{std::chrono::minutes{15}};
  std::chrono::milliseconds mandatory{std::chrono::minutes{10}};
  std::chrono::milliseconds retry_after_failure{std::chrono::seconds{10}};
};

struct cache_stats {
  std::size_t fetches = 0;
  std::size_t background_refreshes = 0;
  std::size_t failures = 0;
};

class credentials_cache {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;
  credentials_cache(std::unique_ptr<credential_provider> provider, refresh_options options = {},
                    clock_fn clock = {});
  ~credentials_cache();
  credentials_cache(const credentials_cache&) = delete;
  credentials_cache& operator=(const credentials_cache&) = delete;

  // Current credentials; fetches on first use and refreshes as described above. Throws
  // relay_error(auth) when no provider has credentials, naming where it looked.
  boost::asio::awaitable<credentials> get();
  cache_stats stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::aws
