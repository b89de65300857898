#pragma once
// Where and how the EventBridge sink sends: region and endpoint (resolved the SDKs' way when not
// set), the request size limit, batching, and how a message becomes an event (Source, DetailType
// by the message's kind, the bus).
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "aws/shared_config.hpp"

namespace grm::sinks::eventbridge {

// The classic limit is "less than 256 KB" (a request whose entries sum to 262,144 bytes is
// refused); since 2026-01 most Regions accept 1 MiB (1,048,576 inclusive). See docs/configuration.md.
inline constexpr std::size_t limit_256kb = 262'143;
inline constexpr std::size_t limit_1mb = 1'048'576;

struct eventbridge_settings {
  std::string region;
  std::string endpoint;  // empty: https://events.{region}.amazonaws.com
  std::size_t max_request_bytes = limit_256kb;
  std::size_t max_entries = 10;  // per PutEvents request: 1..10 (the API's maximum)
  std::chrono::milliseconds request_timeout{10'000};
  int max_attempts = 0;  // AWS_MAX_ATTEMPTS when set (one-shot commands); 0: until the outbox's max age
  std::string source = "genesys.sentiment.forwarder";
  std::string event_bus;  // name or ARN; empty: the default bus
  std::vector<std::string> resources;  // Resources of every event (eventbridge put --resource)
  std::map<std::string, std::string> detail_types{
      {"sentiment", "ChatSentimentAnalysis"}, {"alert", "ChatSentimentEscalation"}, {"lifecycle", "ConversationLifecycleEvent"}};
};

std::string default_endpoint(const std::string& region);

// Fills region and endpoint from AWS_REGION / AWS_DEFAULT_REGION / the profile and
// AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL / the profile's services when they are empty,
// and AWS_MAX_ATTEMPTS. Throws relay_error(config) when no region can be found or the endpoint is
// plain http to a host that is not loopback.
void resolve_with_aws_config(eventbridge_settings& s, const aws::env_lookup& env, const aws::shared_files& files,
                             const std::string& profile);

}  // namespace grm::sinks::eventbridge
