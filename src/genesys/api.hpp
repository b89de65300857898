#pragma once
// Calls to the Genesys Cloud Platform API (https://api.{domain}/api/v2/...) with the bearer
// token, the shared retry policy, one token refresh on 401, and errors that name what is missing.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "genesys/customer_directory.hpp"
#include "genesys/oauth.hpp"
#include "genesys/rate_budget.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace grm::genesys {

// The API error body (ErrorBody: message, code, status, messageParams, ...), flattened.
struct api_error {
  std::string code;
  std::string message;
};
api_error parse_api_error(const std::string& body);
// A non-success answer as an error: kind by status (429 rate_limited, 5xx server, else client),
// message "<what> failed with HTTP <status> <code>: <message>".
relay_error status_error(const net::http_response& r, std::string_view what);

class api_client final {
 public:
  api_client(net::http_client& http, token_provider& tokens, std::string api_base,
             net::retry_policy policy);

  // Returns the response of the last attempt for any status except 401/403 after a refresh,
  // which throw relay_error(auth) naming the permission and the OAuth client. Every attempt
  // waits its turn in the rate budget at `priority`.
  boost::asio::awaitable<net::http_response> call(api_priority priority, std::string method, std::string path,
                                                  std::string body = {});

  const std::string& api_base() const noexcept { return api_base_; }
  net::http_client& http() noexcept { return http_; }
  rate_budget& budget() noexcept { return budget_; }
  customer_directory& customers() noexcept { return customers_; }

 private:
  net::http_client& http_;
  token_provider& tokens_;
  std::string api_base_;
  net::retry_policy policy_;
  rate_budget budget_;  // one token, one limit: shared by every call of this client
  customer_directory customers_;
};

// An API client with its own connection pool and token: what a stage needs to call the Platform
// API. Members are declared in construction order; the session must outlive calls in flight.
struct api_session {
  api_session(boost::asio::any_io_executor executor, net::http_client_options http_options, std::string login_base,
              std::string api_base, client_credentials credentials, net::retry_policy policy);
  net::http_client http;
  token_provider tokens;
  api_client api;
};

// --- Notifications API --------------------------------------------------------------------

struct channel {
  std::string id;
  std::string connect_uri;
  std::string expires;  // ISO-8601 as the API sent it
};

struct topic_result {
  std::string id;
  bool permitted = true;
  std::string rejection_reason;
};

boost::asio::awaitable<channel> create_channel(api_client& api);
// PUT (replace) the channel's subscriptions; rejected topics come back with their reason. A 400
// (the topics are malformed or too many) is relay_error(config).
boost::asio::awaitable<std::vector<topic_result>> subscribe(api_client& api,
                                                             const std::string& channel_id,
                                                             const std::vector<std::string>& topics);
boost::asio::awaitable<bool> channel_exists(api_client& api, const std::string& channel_id);

// --- Conversations -------------------------------------------------------------------------

// GET /api/v2/conversations/{id}: the JSON body, or nullopt when the conversation is not found.
boost::asio::awaitable<std::optional<std::string>> get_conversation(api_client& api,
                                                                    const std::string& id);

}  // namespace grm::genesys
