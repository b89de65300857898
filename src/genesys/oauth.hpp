#pragma once
// OAuth 2.0 client credentials against the region's login host (POST {login}/oauth/token, Basic
// auth, form body). The token is cached until 60 s before it expires; concurrent callers share
// one refresh; invalidate() after a 401 forces the next caller to refresh.
// Threading: one executor. The token and secret never leave through logs or messages.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/secret.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace grm::genesys {

struct client_credentials {
  std::string client_id;
  secret client_secret;
};

class token_provider final {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::seconds refresh_margin{60};

  token_provider(net::http_client& http, std::string login_base, client_credentials credentials,
                 net::retry_policy policy, clock_fn clock = {});
  ~token_provider();

  boost::asio::awaitable<secret> access_token();
  void invalidate() noexcept;
  // When the token access_token() last returned stops working (things made with it, such as a
  // notification channel, may end then); nullopt before the first or after invalidate().
  std::optional<std::chrono::steady_clock::time_point> expires_at() const noexcept;

  const std::string& client_id() const noexcept;
  std::size_t refresh_count() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::genesys
