#pragma once
// EventBridge PutEvents on the wire (awsJson 1.1): the request body, AWS's entry-size formula,
// and the reading of answers — per-entry results and whole-request errors — into the delivery
// layer's verdicts. No I/O.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/results.hpp"
#include "net/http.hpp"

namespace grm::sinks::eventbridge {

struct put_entry {
  std::string source;
  std::string detail_type;
  std::string detail;  // a JSON object, as text
  std::vector<std::string> resources;
  std::optional<std::chrono::sys_seconds> time;  // absent: the service stamps the call time
  std::string event_bus;     // name or ARN; empty: the default bus
  std::string trace_header;  // X-Ray; empty: none
};

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: 14 bytes if
// Time is set, plus the UTF-8 bytes of Source, DetailType, Detail and each Resources element.
std::size_t entry_size(const put_entry& e);

// {"Entries":[{"Source":..., "DetailType":..., "Detail":..., ...}]}
std::string encode_put_events(const std::vector<const put_entry*>& batch);

struct aws_error {
  std::string code;     // X-Amzn-ErrorType, else body code/__type, trimmed of namespace and ':'
  std::string message;  // body message/Message/errorMessage
};
aws_error parse_aws_error(const net::http_response& response);

// AWS standard retry mode: 500/502/503/504, throttling and transient codes.
bool is_retryable_error(unsigned status, std::string_view code);
// Per-entry codes AWS documents as retryable: InternalFailure, ThrottlingException.
bool is_retryable_entry_code(std::string_view code);

// A 200 answer → one result per request entry, in order. Throws relay_error(invalid_payload)
// when the body is not a PutEvents result for `expected` entries.
std::vector<delivery::entry_result> parse_put_events_result(std::string_view body, std::size_t expected);

// A non-200 answer → the request failure the delivery layer acts on.
delivery::request_failure classify_failure(const net::http_response& response);

}  // namespace grm::sinks::eventbridge
