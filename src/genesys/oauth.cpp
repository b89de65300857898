#include "genesys/oauth.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <optional>

#include "core/error.hpp"

namespace grm::genesys {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

namespace {

std::string base64(std::string_view in) {
  namespace b64 = boost::beast::detail::base64;
  std::string out(b64::encoded_size(in.size()), '\0');
  out.resize(b64::encode(out.data(), in.data(), in.size()));
  return out;
}

// The token endpoint's error shape: {"error":..., "description"/"error_description":...}.
std::string describe_token_error(const net::http_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  std::string detail;
  if (!ec && v.is_object()) {
    auto& o = v.as_object();
    if (auto* e = o.if_contains("error"); e && e->is_string()) detail = e->as_string().c_str();
    for (auto key : {"error_description", "description", "message"}) {
      if (auto* d = o.if_contains(key); d && d->is_string()) {
        detail += (detail.empty() ? "" : ": ") + std::string(d->as_string().c_str());
        break;
      }
    }
  }
  return detail.empty() ? "HTTP " + std::to_string(r.status) : detail + " (HTTP " + std::to_string(r.status) + ")";
}

}  // namespace

struct token_provider::impl {
  net::http_client& http;
  std::string token_url;
  client_credentials creds;
  net::retry_policy policy;
  clock_fn clock;
  std::optional<secret> token;
  steady_clock::time_point refresh_at{};
  steady_clock::time_point expires_at{};  // when the cached token stops working
  bool refreshing = false;
  std::optional<asio::steady_timer> waiters;  // cancelled when a refresh finishes
  std::size_t refreshes = 0;

  asio::awaitable<void> refresh() {
    net::http_request req;
    req.method = "POST";
    req.url = token_url;
    req.headers = {{"Authorization", "Basic " + base64(creds.client_id + ":" +
                                                        std::string(creds.client_secret.reveal()))},
                   {"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = "grant_type=client_credentials";
    auto resp = co_await net::send_with_retry(http, std::move(req), policy);
    if (resp.status == 400 || resp.status == 401 || resp.status == 403)
      throw relay_error(error_kind::auth,
                        "OAuth client '" + creds.client_id + "' was refused by " + token_url + ": " +
                            describe_token_error(resp) +
                            ". Check GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET "
                            "and that GENESYSCLOUD_REGION is the org's region");
    if (resp.status != 200)
      throw relay_error(resp.status >= 500 ? error_kind::server : error_kind::client,
                        "token request to " + token_url + " failed: " + describe_token_error(resp));
    boost::system::error_code ec;
    auto v = json::parse(resp.body, ec);
    const json::object* o = (!ec && v.is_object()) ? &v.as_object() : nullptr;
    const json::value* at = o ? o->if_contains("access_token") : nullptr;
    const json::value* exp = o ? o->if_contains("expires_in") : nullptr;
    if (!at || !at->is_string() || at->as_string().empty())
      throw relay_error(error_kind::invalid_payload,
                        "token response from " + token_url + " has no access_token");
    std::int64_t expires_in = 86400;
    if (exp && exp->is_int64()) expires_in = exp->as_int64();
    else if (exp && exp->is_uint64()) expires_in = static_cast<std::int64_t>(exp->as_uint64());
    else if (exp && exp->is_double()) expires_in = static_cast<std::int64_t>(exp->as_double());
    token.emplace(std::string(at->as_string().c_str()));
    // Refresh 60 s before expiry; a very short-lived token is refreshed at half its life.
    auto lifetime = seconds{expires_in};
    auto margin = lifetime > 2 * refresh_margin ? refresh_margin : lifetime / 2;
    expires_at = clock() + lifetime;
    refresh_at = expires_at - margin;
    ++refreshes;
  }
};

token_provider::token_provider(net::http_client& http, std::string login_base,
                               client_credentials credentials, net::retry_policy policy,
                               clock_fn clock)
    : impl_(std::make_unique<impl>(impl{http, login_base + "/oauth/token", std::move(credentials),
                                        policy,
                                        clock ? std::move(clock) : clock_fn(&steady_clock::now),
                                        {}, {}, {}, false, {}, 0})) {
  while (impl_->token_url.find("//oauth") != std::string::npos)
    impl_->token_url.replace(impl_->token_url.find("//oauth"), 7, "/oauth");
}

token_provider::~token_provider() = default;

asio::awaitable<secret> token_provider::access_token() {
  auto& s = *impl_;
  while (true) {
    if (s.token && s.clock() < s.refresh_at) co_return *s.token;
    if (!s.refreshing) break;
    // Another coroutine is refreshing: wait for it to finish (it cancels the timer).
    if (!s.waiters) s.waiters.emplace(co_await asio::this_coro::executor, steady_clock::time_point::max());
    co_await s.waiters->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  s.refreshing = true;
  struct done_guard {
    impl& s;
    ~done_guard() {
      s.refreshing = false;
      if (s.waiters) {
        s.waiters->cancel();
        s.waiters.reset();
      }
    }
  } guard{s};
  co_await s.refresh();
  co_return *s.token;
}

void token_provider::invalidate() noexcept { impl_->token.reset(); }

std::optional<steady_clock::time_point> token_provider::expires_at() const noexcept {
  if (!impl_->token) return std::nullopt;
  return impl_->expires_at;
}
const std::string& token_provider::client_id() const noexcept { return impl_->creds.client_id; }
std::size_t token_provider::refresh_count() const noexcept { return impl_->refreshes; }

}  // namespace grm::genesys
