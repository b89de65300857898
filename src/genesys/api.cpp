#include "genesys/api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace grm::genesys {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string().c_str()) : std::string{};
}

json::value parse_or_throw(const net::http_response& r, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object())
    throw relay_error(error_kind::invalid_payload,
                      std::string(what) + ": response is not a JSON object (HTTP " +
                          std::to_string(r.status) + ")");
  return v;
}


}  // namespace

relay_error status_error(const net::http_response& r, std::string_view what) {
  auto e = parse_api_error(r.body);
  auto kind = r.status == 429 ? error_kind::rate_limited
              : r.status >= 500 ? error_kind::server
                                : error_kind::client;
  std::string msg = std::string(what) + " failed with HTTP " + std::to_string(r.status);
  if (!e.code.empty()) msg += " " + e.code;
  if (!e.message.empty()) msg += ": " + e.message;
  return relay_error(kind, msg);
}

api_error parse_api_error(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto& o = v.as_object();
  api_error e{str(o, "code"), str(o, "message")};
  if (e.message.empty()) e.message = str(o, "error_description");
  return e;
}

api_session::api_session(boost::asio::any_io_executor executor, net::http_client_options http_options,
                         std::string login_base, std::string api_base, client_credentials credentials,
                         net::retry_policy policy)
    : http(std::move(executor), std::move(http_options)),
      tokens(http, std::move(login_base), std::move(credentials), policy),
      api(http, tokens, std::move(api_base), policy) {}

api_client::api_client(net::http_client& http, token_provider& tokens, std::string api_base,
                       net::retry_policy policy)
    : http_(http), tokens_(tokens), api_base_(std::move(api_base)), policy_(policy) {
  while (!api_base_.empty() && api_base_.back() == '/') api_base_.pop_back();
}

asio::awaitable<net::http_response> api_client::call(api_priority priority, std::string method, std::string path,
                                                     std::string body) {
  net::retry_observer paced;
  paced.before_attempt = [this, priority] { return budget_.acquire(priority); };
  paced.after_attempt = [this](const net::http_response* r) { budget_.observe(r); };
  for (int attempt = 0;; ++attempt) {
    auto token = co_await tokens_.access_token();
    net::http_request req;
    req.method = method;
    req.url = api_base_ + path;
    req.headers = {{"Authorization", "Bearer " + std::string(token.reveal())},
                   {"Accept", "application/json"}};
    if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    req.body = body;
    auto resp = co_await net::send_with_retry(http_, std::move(req), policy_, paced);
    if (resp.status != 401 && resp.status != 403) co_return resp;
    if (resp.status == 401 && attempt == 0) {
      tokens_.invalidate();  // expired or revoked: one fresh token, then give up
      continue;
    }
    auto e = parse_api_error(resp.body);
    std::string what = resp.status == 401 ? "is not authenticated" : "lacks a permission";
    throw relay_error(
        error_kind::auth,
        method + " " + path + ": OAuth client '" + tokens_.client_id() + "' " + what + " (HTTP " +
            std::to_string(resp.status) + (e.code.empty() ? "" : " " + e.code) + ")" +
            (e.message.empty() ? "" : ": " + e.message) +
            (resp.status == 403 ? ". Grant the permission to a role of this OAuth client" : ""));
  }
}

asio::awaitable<channel> create_channel(api_client& api) {
  auto r = co_await api.call(api_priority::stream, "POST", "/api/v2/notifications/channels");
  if (r.status != 200 && r.status != 201) throw status_error(r, "creating a notification channel");
  auto v = parse_or_throw(r, "creating a notification channel");
  channel c{str(v.as_object(), "id"), str(v.as_object(), "connectUri"),
            str(v.as_object(), "expires")};
  if (c.id.empty() || c.connect_uri.empty())
    throw relay_error(error_kind::invalid_payload, "channel response lacks id or connectUri");
  co_return c;
}

asio::awaitable<std::vector<topic_result>> subscribe(api_client& api, const std::string& channel_id,
                                                     const std::vector<std::string>& topics) {
  json::array body;
  for (auto& t : topics) body.push_back(json::object{{"id", t}});
  auto r = co_await api.call(api_priority::stream, "PUT",
                             "/api/v2/notifications/channels/" + channel_id +
                                 "/subscriptions?ignoreErrors=true",
                             json::serialize(body));
  if (r.status == 400) {
    // The topics themselves (malformed, more than 1,000): invalid configuration, which no retry fixes.
    auto e = status_error(r, "subscribing channel " + channel_id + " to " + std::to_string(topics.size()) + " topic(s)");
    throw relay_error(error_kind::config, std::string(e.what()) + "; check monitor.queues, monitor.users and monitor.topics");
  }
  if (r.status != 200) throw status_error(r, "subscribing channel " + channel_id);
  auto v = parse_or_throw(r, "subscribing channel " + channel_id);
  std::vector<topic_result> out;
  if (auto* entities = v.as_object().if_contains("entities"); entities && entities->is_array()) {
    for (auto& e : entities->as_array()) {
      if (!e.is_object()) continue;
      auto& o = e.as_object();
      out.push_back({str(o, "id"), str(o, "state") != "Rejected", str(o, "rejectionReason")});
    }
  }
  co_return out;
}

asio::awaitable<bool> channel_exists(api_client& api, const std::string& channel_id) {
  auto r = co_await api.call(api_priority::stream, "HEAD", "/api/v2/notifications/channels/" + channel_id);
  if (r.status == 404) co_return false;
  if (r.status != 200) throw status_error(r, "checking channel " + channel_id);
  co_return true;
}

asio::awaitable<std::optional<std::string>> get_conversation(api_client& api, const std::string& id) {
  auto r = co_await api.call(api_priority::recovery, "GET", "/api/v2/conversations/" + id);
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) throw status_error(r, "reading conversation " + id);
  co_return std::move(r.body);
}

}  // namespace grm::genesys
