#include "sinks/eventbridge/request_builder.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "core/text.hpp"

namespace grm::sinks::eventbridge {

namespace json = boost::json;

std::size_t entry_size(const put_entry& e) {
  std::size_t n = (e.time ? 14 : 0) + e.source.size() + e.detail_type.size() + e.detail.size();
  for (auto& r : e.resources) n += r.size();
  return n;
}

std::string encode_put_events(const std::vector<const put_entry*>& batch) {
  json::array entries;
  entries.reserve(batch.size());
  for (const auto* e : batch) {
    json::object o;
    o["Source"] = e->source;
    o["DetailType"] = e->detail_type;
    o["Detail"] = e->detail;
    if (!e->resources.empty()) {
      json::array r;
      for (auto& s : e->resources) r.emplace_back(s);
      o["Resources"] = std::move(r);
    }
    if (e->time) o["Time"] = e->time->time_since_epoch().count();  // epoch seconds, as the SDKs send
    if (!e->event_bus.empty()) o["EventBusName"] = e->event_bus;
    if (!e->trace_header.empty()) o["TraceHeader"] = e->trace_header;
    entries.emplace_back(std::move(o));
  }
  json::object body;
  body["Entries"] = std::move(entries);
  return json::serialize(body);
}

namespace {

std::string clean_code(std::string_view code) {
  if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  if (auto hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  return std::string(code);
}

std::string string_field(const json::object* o, std::initializer_list<std::string_view> keys) {
  if (!o) return {};
  for (auto k : keys)
    if (auto* v = o->if_contains(k); v && v->is_string()) return std::string(v->get_string());
  return {};
}

}  // namespace

aws_error parse_aws_error(const net::http_response& response) {
  boost::system::error_code ec;
  auto v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  aws_error e;
  if (auto h = response.header_value("X-Amzn-ErrorType")) e.code = clean_code(*h);
  if (e.code.empty()) e.code = clean_code(string_field(o, {"code", "__type"}));
  e.message = string_field(o, {"message", "Message", "errorMessage"});
  if (e.code.empty()) e.code = "HTTP" + std::to_string(response.status);
  return e;
}

bool is_retryable_error(unsigned status, std::string_view code) {
  if (net::classify_status(status) == net::status_class::retryable) return true;
  static constexpr std::string_view retryable[] = {
      "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "Throttling", "ThrottlingException",
      "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
      "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
      "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "EC2ThrottledException",
      // Our own addition: the next attempt re-reads the credentials, which refreshes them.
      "ExpiredTokenException"};
  return std::find(std::begin(retryable), std::end(retryable), code) != std::end(retryable);
}

bool is_retryable_entry_code(std::string_view code) {
  return code == "InternalFailure" || code == "ThrottlingException";
}

std::vector<delivery::entry_result> parse_put_events_result(std::string_view body, std::size_t expected) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::array* entries = nullptr;
  if (o)
    if (auto* e = o->if_contains("Entries")) entries = e->if_array();
  if (!entries || entries->size() != expected)
    throw relay_error(error_kind::invalid_payload,
                      "EventBridge PutEvents answered 200 without an Entries array of " + std::to_string(expected) +
                          " results: " + safe_excerpt(body));
  std::vector<delivery::entry_result> out;
  out.reserve(expected);
  for (auto& item : *entries) {
    const auto* e = item.if_object();
    delivery::entry_result r;
    auto code = string_field(e, {"ErrorCode"});
    if (code.empty()) {
      r.id = string_field(e, {"EventId"});
      if (r.id.empty()) r = {delivery::verdict::rejected, {}, "MissingEventId", "the result entry has neither EventId nor ErrorCode"};
    } else {
      r.what = is_retryable_entry_code(code) ? delivery::verdict::retry : delivery::verdict::rejected;
      r.code = std::move(code);
      r.message = string_field(e, {"ErrorMessage"});
    }
    out.push_back(std::move(r));
  }
  return out;
}

delivery::request_failure classify_failure(const net::http_response& response) {
  auto err = parse_aws_error(response);
  delivery::request_failure f;
  f.retryable = is_retryable_error(response.status, err.code);
  f.status = response.status;
  f.kind = f.retryable ? (response.status >= 500 ? error_kind::server : error_kind::rate_limited)
           : response.status == 403 || err.code == "UnrecognizedClientException" || err.code == "InvalidSignatureException" ||
                   err.code == "AccessDeniedException"
               ? error_kind::auth
               : error_kind::client;
  f.message = "EventBridge PutEvents: HTTP " + std::to_string(response.status) + " " + err.code +
              (err.message.empty() ? "" : ": " + err.message);
  f.code = std::move(err.code);
  if (auto h = response.header_value("x-amz-retry-after")) {  // milliseconds (SDK 2026 retry rules)
    long long ms = 0;
    auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), ms);
    if (ec == std::errc{} && ms >= 0) f.retry_after = std::chrono::milliseconds{ms};
  }
  return f;
}

}  // namespace grm::sinks::eventbridge
