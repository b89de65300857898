#pragma once
// AWS in a process, for tests, the demo and benchmarks: EventBridge PutEvents (awsJson 1.1) with
// AWS's validation, limits and error shapes, SigV4 verification of every request against the
// keys it knows, and the credential endpoints the default chain talks to — STS AssumeRole
// (SigV4-verified) and AssumeRoleWithWebIdentity, IAM Identity Center's GetRoleCredentials, the
// ECS/EKS container endpoint and EC2 IMDSv2. Credentials those
// endpoints issue become valid EventBridge keys until they expire, so refresh can be tested end
// to end. One loopback port serves HTTP and HTTPS.
//
// Accepted events are kept in memory and, if configured, appended to a JSON-lines file.
// Every public method is thread-safe (it runs on the emulator's own thread).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grm::sim {

struct aws_key {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term key
  std::optional<std::chrono::system_clock::time_point> expiration;
};

struct accepted_event {
  std::string event_id;
  std::string source, detail_type, detail, event_bus, trace_header;
  std::vector<std::string> resources;
  std::optional<std::int64_t> time;
  std::string access_key_id;  // who sent it
};

struct aws_emulator_options {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  std::vector<aws_key> keys = {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt}};
  std::size_t max_request_bytes = 262'143;  // sum of AWS entry sizes; the 1 MiB mode is 1'048'576
  std::string events_file;                   // JSON lines of accepted events; empty: memory only
  bool keep_events = true;                   // false: count only (long benchmarks)
  // Each accepted event with when its request had been read (benchmarks: how long an event took
  // to reach the sink). Runs on the emulator's thread.
  std::function<void(const accepted_event&, std::chrono::steady_clock::time_point arrived)> on_event;
  // Credential endpoints.
  std::chrono::seconds issued_lifetime{3600};
  std::string web_identity_token = "sim-web-identity-token";
  std::string role_arn = "arn:aws:iam::123456789012:role/genesys-relay";
  std::string container_authorization = "sim-container-token";  // empty: not checked
  std::string instance_role = "genesys-relay-instance";
  // sts:AssumeRole (signed by a known key): the roles it grants and the ExternalId it requires.
  std::vector<std::string> assumable_roles = {"arn:aws:iam::123456789012:role/genesys-relay-events"};
  std::string external_id;  // empty: not required
  // IAM Identity Center: the access token `aws sso login` would have cached, and the role it grants.
  std::string sso_access_token = "sim-sso-access-token";
  std::string sso_role_name = "GenesysRelayEvents";
  // SSO OIDC CreateToken (grant refresh_token): the client `aws sso login` registered and the
  // refresh token it cached; a refresh answers sso_access_token again, valid for an hour.
  std::string sso_client_id = "sim-sso-client", sso_client_secret = "sim-sso-client-secret";
  std::string sso_refresh_token = "sim-sso-refresh-token";
};


struct aws_emulator_stats {
  std::size_t put_events_requests = 0;
  std::size_t accepted = 0;
  std::size_t failed_entries = 0;
  std::size_t rejected_requests = 0;  // 4xx/5xx answers to PutEvents
  std::size_t signature_failures = 0;
  std::size_t sts_calls = 0, container_calls = 0, imds_calls = 0;
  std::size_t credentials_issued = 0;
  std::size_t assume_role_calls = 0, sso_calls = 0, sso_token_refreshes = 0;
  std::vector<std::string> assume_role_callers;  // the access key that signed each AssumeRole
};

// One PutEvents request as it arrived (for batching assertions).
struct put_events_record {
  std::size_t entries = 0;
  std::size_t entry_bytes = 0;  // by the AWS size formula
  std::string answered;         // "200" or the error code
};

class aws_emulator final {
 public:
  explicit aws_emulator(aws_emulator_options options = {});
  ~aws_emulator();
  aws_emulator(const aws_emulator&) = delete;
  aws_emulator& operator=(const aws_emulator&) = delete;

  std::uint16_t port() const noexcept;
  std::string http_url() const;
  std::string https_url() const;
  const std::string& certificate_pem() const noexcept;
  const aws_emulator_options& options() const noexcept;  // as constructed (add_key does not change it)

  // --- fault injection (each applies to the next `requests` PutEvents calls) --------------
  void throttle_next(int requests);                    // 400 ThrottlingException "Rate exceeded"
  void fail_next(int requests, unsigned status = 500);  // 500 InternalException, 503 ServiceUnavailable
  // Entry i of the next request(s) fails with codes[i] (empty string: normal processing).
  void fail_entries(std::vector<std::string> codes, int requests = 1);
  void slow_next(int requests, std::chrono::milliseconds delay);
  void skew_clock(std::chrono::seconds offset);  // the emulator's clock runs this far ahead
  void add_key(aws_key key);
  void revoke_issued_credentials();              // issued temporary keys stop working

  std::vector<accepted_event> events() const;
  std::vector<put_events_record> put_events_log() const;
  aws_emulator_stats stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::sim
