#include "sim/genesys_sim.hpp"
#include "sim/conversation_document.hpp"
#include "sim/conversation_history.hpp"
#include "sim/sentiment_data.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <set>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "sim/http_service.hpp"
#include "sim/loopback.hpp"
#include "sim/sentiment_data.hpp"

namespace grm::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace std::chrono;
using namespace asio::experimental::awaitable_operators;

namespace {

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
constexpr std::string_view kStages[] = {"start", "update", "update", "end", "wrapup"};

std::int64_t epoch_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string now_iso() {
  return format_rfc3339(time_point_cast<milliseconds>(system_clock::now()));
}

// An outgoing queue drained by one writer coroutine per connection (one writer per socket).
struct outbox {
  explicit outbox(asio::any_io_executor ex) : wake(ex, steady_clock::time_point::max()) {}
  std::deque<std::string> queue;
  asio::steady_timer wake;
  bool closed = false;
  std::function<void()> abort;  // closes the socket at once (set by the session)

  void push(std::string m) {
    if (closed) return;
    queue.push_back(std::move(m));
    wake.cancel();
  }
  // The next queued message, waiting for one; nullopt once the box is closed.
  asio::awaitable<std::optional<std::string>> next() {
    while (!closed && queue.empty()) {
      wake.expires_at(steady_clock::time_point::max());
      co_await wake.async_wait(as_tuple(use_awaitable));
    }
    if (closed) co_return std::nullopt;
    auto m = std::move(queue.front());
    queue.pop_front();
    co_return m;
  }

  void close() {
    closed = true;
    wake.cancel();
    if (abort) abort();
  }
};

struct channel_state {
  std::string id;
  std::set<std::string> topics;
  system_clock::time_point expires;
  std::shared_ptr<outbox> socket;
  steady_clock::time_point token_expires = steady_clock::time_point::max();  // of the token that created it
};

struct conversation {
  std::string id;
  std::string media;       // voice | chat | message
  std::string queue_id;
  std::string user_id;
  int stage = 0;
  steady_clock::time_point next;
  steady_clock::time_point done_at{};
  system_clock::time_point started = system_clock::now();
  std::optional<system_clock::time_point> ended;
};

}  // namespace

struct genesys_simulator::impl : std::enable_shared_from_this<impl> {
  explicit impl(sim_options o)
      : opt(std::move(o)), loop(opt.bind, opt.port), ssl_ctx(asio::ssl::context::tls_server),
        tick_timer(loop.ioc), rng(std::random_device{}()) {
    cert = use_new_certificate(ssl_ctx, "genesys-relay simulator " + std::to_string(loop.port()));
    generator_paused = opt.start_paused;
  }

  sim_options opt;
  loopback_loop loop;  // before everything bound to its io_context, so it is destroyed last
  asio::ssl::context ssl_ctx;
  certificate cert;
  asio::steady_timer tick_timer;
  std::mt19937_64 rng;

  std::map<std::string, steady_clock::time_point> tokens;
  struct rate_window {
    steady_clock::time_point start;
    std::int64_t count = 0;
  };
  std::map<std::string, rate_window> windows;  // by token: the per-token limit's current window
  std::map<std::string, channel_state> channels;
  std::deque<std::string> channel_lru;
  std::map<std::string, conversation> conversations;
  sentiment_data sentiment;
  conversation_history history{opt.ledger_path};
  std::set<std::shared_ptr<outbox>> sse_clients;
  std::set<std::shared_ptr<outbox>> ws_clients;

  int rate_limit_remaining = 0, retry_after_seconds = 1, fail_remaining = 0;
  unsigned fail_status = 503;
  bool credentials_rejected = false, forbidden = false, slow = false, heartbeats_paused = false,
       generator_paused = false;
  steady_clock::time_point refuse_ws_until{};
  steady_clock::time_point next_start{}, next_heartbeat{}, next_keepalive{};
  bool keepalive_braces = true;

  mutable std::mutex mu;  // guards stats and lifecycles (read from other threads)
  sim_stats stats;
  std::map<std::string, std::vector<std::string>> lifecycles;

  template <typename F>
  void count(F f) {
    std::lock_guard lock(mu);
    f(stats);
  }

  static std::string uuid() { return uuid_v4(); }

  // --- HTTP ----------------------------------------------------------------------------------

  response reply(const request& req, const sim_reply& r) {
    response res{static_cast<http::status>(r.status), req.version()};
    if (!r.body.empty()) res.set(http::field::content_type, r.content_type);
    res.set("ININ-Correlation-ID", uuid());
    res.keep_alive(req.keep_alive());
    res.body() = r.body;
    res.prepare_payload();
    return res;
  }

  response json_response(const request& req, http::status status, const json::value& body) {
    response res{status, req.version()};
    res.set(http::field::content_type, "application/json");
    res.set("ININ-Correlation-ID", uuid());
    res.keep_alive(req.keep_alive());
    if (req.method() != http::verb::head) res.body() = json::serialize(body);
    res.prepare_payload();
    return res;
  }

  response api_error(const request& req, unsigned status, std::string code, std::string message) {
    return json_response(req, static_cast<http::status>(status),
                         json::object{{"message", message}, {"code", code}, {"status", status},
                                      {"contextId", uuid()}, {"details", json::array{}},
                                      {"errors", json::array{}}});
  }

  response token(const request& req) {
    auto deny = [&](unsigned status, const char* err, const char* desc) {
      return json_response(req, static_cast<http::status>(status),
                           json::object{{"error", err}, {"description", desc},
                                        {"error_description", desc}});
    };
    if (credentials_rejected) return deny(401, "invalid_client", "authentication failed");
    auto auth = std::string(req[http::field::authorization]);
    if (!auth.starts_with("Basic ")) return deny(401, "invalid_client", "authentication failed");
    namespace b64 = beast::detail::base64;
    std::string decoded(b64::decoded_size(auth.size() - 6), '\0');
    decoded.resize(b64::decode(decoded.data(), auth.data() + 6, auth.size() - 6).first);
    if (decoded != opt.client_id + ":" + opt.client_secret)
      return deny(401, "invalid_client", "authentication failed");
    if (req.body().find("grant_type=client_credentials") == std::string::npos)
      return deny(400, "unsupported_grant_type", "grant type is not supported");
    auto t = "sim-" + uuid();
    tokens[t] = steady_clock::now() + opt.token_lifetime;
    count([](auto& s) { ++s.tokens_issued; });
    return json_response(req, http::status::ok,
                         json::object{{"access_token", t}, {"token_type", "bearer"},
                                      {"expires_in", opt.token_lifetime.count()}});
  }

  // The per-token limit's view after charging one request, for the inin-ratelimit-* headers.
  struct rate_view {
    std::int64_t count = 0, allowed = 0, reset_s = 0;
  };

  std::optional<rate_view> charge(const std::string& token) {
    if (opt.api_rate_limit == 0) return std::nullopt;
    auto now = steady_clock::now();
    auto& w = windows[token];
    if (w.count == 0 || now - w.start >= opt.rate_limit_window) w = {now, 0};
    ++w.count;
    // Seconds until the window resets, rounded up (never 0 while it lasts), as the API's header says.
    auto left = duration_cast<milliseconds>(w.start + opt.rate_limit_window - now).count();
    return rate_view{w.count, opt.api_rate_limit, std::max<std::int64_t>(1, (left + 999) / 1000)};
  }

  static void stamp(response& res, const rate_view& v) {
    res.set("inin-ratelimit-count", std::to_string(v.count));
    res.set("inin-ratelimit-allowed", std::to_string(v.allowed));
    res.set("inin-ratelimit-reset", std::to_string(v.reset_s));
  }

  response too_many(const request& req, int retry_after_s) {
    count([](auto& s) { ++s.rate_limited; });
    auto res = api_error(req, 429, "too.many.requests",
                         "Rate limit exceeded the maximum. Retry the request in [" + std::to_string(retry_after_s) +
                             "] seconds");
    res.set(http::field::retry_after, std::to_string(retry_after_s));
    return res;
  }

  // Returns an error response when the request may not proceed; otherwise the request is
  // charged to its token's limit and `limit` says what the headers report.
  std::optional<response> gate(const request& req, std::optional<rate_view>& limit) {
    if (rate_limit_remaining > 0) {
      --rate_limit_remaining;
      return too_many(req, retry_after_seconds);
    }
    if (fail_remaining > 0) {
      --fail_remaining;
      return api_error(req, fail_status, fail_status == 504 ? "request.timeout" : "service.unavailable",
                       "The service is temporarily unavailable");
    }
    auto auth = std::string(req[http::field::authorization]);
    if (!auth.starts_with("Bearer ")) {
      count([](auto& s) { ++s.unauthorized; });
      return api_error(req, 401, "authentication.required", "No authentication bearer token specified in authorization header.");
    }
    auto it = tokens.find(auth.substr(7));
    if (it == tokens.end() || it->second < steady_clock::now()) {
      count([](auto& s) { ++s.unauthorized; });
      return api_error(req, 401, "bad.credentials", "Invalid login credentials.");
    }
    if (forbidden)
      return api_error(req, 403, "missing.permissions",
                       "You are missing the following permission(s): [routing:queue:view, "
                       "conversation:communication:view]");
    count([](auto& s) { ++s.api_requests; });
    limit = charge(it->first);
    if (limit && limit->count > limit->allowed) {
      if (opt.log_rate_limited)
        std::fprintf(stderr, "genesys-sim: 429 too.many.requests for %s %s: request %lld of %lld allowed in this %lld s window, Retry-After %lld s\n",
                     std::string(req.method_string()).c_str(), std::string(req.target()).c_str(),
                     static_cast<long long>(limit->count), static_cast<long long>(limit->allowed),
                     static_cast<long long>(duration_cast<seconds>(opt.rate_limit_window).count()),
                     static_cast<long long>(limit->reset_s));
      auto res = too_many(req, static_cast<int>(limit->reset_s));
      stamp(res, *limit);
      return res;
    }
    return std::nullopt;
  }

  json::object channel_json(const channel_state& c) {
    return {{"id", c.id},
            {"connectUri", "wss://127.0.0.1:" + std::to_string(loop.port()) + "/channels/" + c.id},
            {"expires", format_rfc3339(time_point_cast<milliseconds>(c.expires))}};
  }

  bool topic_supported(const std::string& t) {
    auto starts = [&](std::string_view p) { return t.starts_with(p); };
    return (starts("v2.routing.queues.") || starts("v2.users.")) && t.find(".conversations") != std::string::npos
               ? true
               : starts("v2.detail.events.conversation.");
  }

  response subscriptions(const request& req, channel_state& c, bool replace) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec || !v.is_array())
      return api_error(req, 400, "bad.request", "The request body must be an array of {\"id\": topic}");
    std::set<std::string> next = replace ? std::set<std::string>{} : c.topics;
    json::array entities;
    for (auto& e : v.as_array()) {
      auto* id = e.is_object() ? e.as_object().if_contains("id") : nullptr;
      if (!id || !id->is_string()) return api_error(req, 400, "bad.request", "each topic needs an id");
      std::string t(id->as_string());
      bool ok = topic_supported(t);
      if (ok) next.insert(t);
      json::object o{{"id", t}, {"state", ok ? "Permitted" : "Rejected"}};
      if (!ok) o["rejectionReason"] = "Topic is not supported by the simulator";
      entities.push_back(o);
    }
    if (next.size() > opt.max_topics_per_channel)
      return api_error(req, 400, "bad.request",
                       "A channel may subscribe to at most " +
                           std::to_string(opt.max_topics_per_channel) + " topics");
    c.topics = std::move(next);
    return json_response(req, http::status::ok, json::object{{"entities", entities}});
  }

  // GET /api/v2/routing/queues: the paged listing a client discovers its queues by, in the
  // API's shape (entities, pageSize, pageNumber, total, pageCount). pageSize 1..500 (default 25),
  // pageNumber from 1; anything else is the API's 400.
  response queues_page(const request& req, const std::string& target) {
    std::int64_t size = 25, number = 1;
    auto url = boost::urls::parse_origin_form(target);
    if (!url) return api_error(req, 400, "bad.request", "The request target is not a valid URL");
    for (auto p : url->params()) {
      if (p.key != "pageSize" && p.key != "pageNumber") continue;
      std::int64_t v = 0;  // stays 0 (refused below) unless the whole value is a number
      if (auto [end, ec] = std::from_chars(p.value.data(), p.value.data() + p.value.size(), v);
          ec != std::errc{} || end != p.value.data() + p.value.size())
        v = 0;
      if (p.key == "pageSize" && (v < 1 || v > 500))
        return api_error(req, 400, "bad.request", "pageSize must be between 1 and 500");
      if (p.key == "pageNumber" && v < 1) return api_error(req, 400, "bad.request", "pageNumber must be 1 or more");
      (p.key == "pageSize" ? size : number) = v;
    }
    auto total = static_cast<std::int64_t>(opt.queue_ids.size());
    json::array entities;
    for (auto i = (number - 1) * size; i < std::min(total, number * size); ++i) {
      auto& id = opt.queue_ids[static_cast<std::size_t>(i)];
      entities.push_back(json::object{{"id", id}, {"name", "Simulated queue " + std::to_string(i + 1)},
                                      {"selfUri", "/api/v2/routing/queues/" + id}});
    }
    return json_response(req, http::status::ok,
                         json::object{{"entities", entities}, {"pageSize", size}, {"pageNumber", number},
                                      {"total", total}, {"pageCount", (total + size - 1) / size}});
  }

  response handle(const request& req) {
    std::string target(req.target());
    auto path = target.substr(0, target.find('?'));
    auto m = req.method();
    if (m == http::verb::post && (path == "/oauth/token" || path == "/api/v2/oauth/token"))
      return token(req);
    auto base = "https://127.0.0.1:" + std::to_string(loop.port());
    if (path.starts_with("/sim-s3/"))  // a pre-signed URL: no bearer token
      if (auto r = sentiment.handle(std::string(req.method_string()), path, req.body(), base)) return reply(req, *r);
    if (!path.starts_with("/api/v2/")) return api_error(req, 404, "not.found", "Resource not found: " + path);
    std::optional<rate_view> limit;
    if (auto denied = gate(req, limit)) return *denied;
    auto res = api(req, target, path, base);
    if (limit) stamp(res, *limit);
    return res;
  }

  // PATCH /api/v2/conversations/{id}/participants/{pid}/attributes on an ended conversation: a
  // generator conversation past its end, or a fixed record (they are all finished chats).
  std::optional<response> ended_write_refusal(const request& req, const std::string& path) {
    const std::string prefix = "/api/v2/conversations/";
    if (!path.starts_with(prefix) || !path.ends_with("/attributes")) return std::nullopt;
    auto rest = path.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos || rest.compare(slash, 14, "/participants/") != 0) return std::nullopt;
    auto id = rest.substr(0, slash);
    auto pid = rest.substr(slash + 14, rest.size() - slash - 14 - 11);
    auto it = conversations.find(id);
    auto* record = sentiment.find(id);
    bool ended = it != conversations.end() ? it->second.ended.has_value() : record && !record->live;
    if (!ended) return std::nullopt;
    return api_error(req, 409, "conversation.participant.terminated",
                     "Participant " + pid + " of conversation " + id + " is terminated; its attributes cannot change");
  }

  response api(const request& req, const std::string& target, const std::string& path, const std::string& base) {
    auto m = req.method();
    if (path.ends_with("/transcripturl")) count([](auto& s) { ++s.transcript_urls; });
    if (m == http::verb::post && path == "/api/v2/analytics/conversations/details/query")
      if (auto r = history.query(req.body())) return reply(req, *r);  // the real shape; the tutorial's falls through
    if (m == http::verb::patch && opt.refuse_writes_after_end)
      if (auto refused = ended_write_refusal(req, path)) return *refused;
    if (auto r = sentiment.handle(std::string(req.method_string()), path, req.body(), base)) return reply(req, *r);

    if (m == http::verb::get && path == "/api/v2/routing/queues") return queues_page(req, target);
    if (m == http::verb::get && path == "/api/v2/tokens/me") {  // TokenInfo, as the SDK's TokensApi reads it
      json::object org{{"id", "00000000-0000-4000-8000-00000000051a"}, {"name", "Simulated org"}};
      return json_response(req, http::status::ok,
                           json::object{{"organization", org}, {"homeOrganization", org},
                                        {"OAuthClient", json::object{{"id", opt.client_id}, {"name", "genesys-relay (simulated)"},
                                                                     {"organization", org}}}});
    }
    const std::string channels_path = "/api/v2/notifications/channels";
    if (path == channels_path && m == http::verb::post) {
      if (channels.size() >= opt.max_channels) {  // the 21st evicts the least recently used
        auto victim = channel_lru.front();
        channel_lru.pop_front();
        if (auto it = channels.find(victim); it != channels.end()) {
          if (it->second.socket) it->second.socket->close();
          channels.erase(it);
        }
      }
      channel_state c{"streaming-0-" + uuid(), {}, system_clock::now() + opt.channel_lifetime, nullptr};
      if (auto t = tokens.find(std::string(req[http::field::authorization]).substr(7)); t != tokens.end())
        c.token_expires = t->second;
      channels[c.id] = c;
      channel_lru.push_back(c.id);
      count([](auto& s) { ++s.channels_created; });
      return json_response(req, http::status::ok, channel_json(c));
    }
    if (path.starts_with(channels_path + "/")) {
      auto rest = path.substr(channels_path.size() + 1);
      auto slash = rest.find('/');
      auto id = rest.substr(0, slash);
      auto it = channels.find(id);
      if (it == channels.end()) return api_error(req, 404, "not.found", "Channel " + id + " not found");
      if (slash == std::string::npos && m == http::verb::head)
        return json_response(req, http::status::ok, json::object{});
      if (rest.substr(slash + 1) == "subscriptions") {
        if (m == http::verb::put) return subscriptions(req, it->second, true);
        if (m == http::verb::post) return subscriptions(req, it->second, false);
        if (m == http::verb::delete_) {
          it->second.topics.clear();
          return json_response(req, http::status::ok, json::object{});
        }
        json::array entities;
        for (auto& t : it->second.topics) entities.push_back(json::object{{"id", t}, {"state", "Permitted"}});
        return json_response(req, http::status::ok, json::object{{"entities", entities}});
      }
    }
    const std::string conv_path = "/api/v2/conversations/";
    if (m == http::verb::get && path.starts_with(conv_path)) {
      auto id = path.substr(conv_path.size());
      count([](auto& s) { ++s.conversation_reads; });
      auto it = conversations.find(id);
      if (it == conversations.end())
        return api_error(req, 404, "not.found", "Conversation " + id + " not found");
      return json_response(req, http::status::ok, snapshot(it->second));
    }
    return api_error(req, 404, "not.found", "Resource not found: " + path);
  }

  // --- sessions -----------------------------------------------------------------------------

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await loop.acceptor.async_accept(as_tuple(use_awaitable));
      if (ec) co_return;  // acceptor closed: the simulator is stopping
      asio::co_spawn(loop.ioc, session(std::move(sock)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buf;
    stream.expires_after(seconds{30});
    auto [dec, is_tls] = co_await beast::async_detect_ssl(stream, buf, as_tuple(use_awaitable));
    if (dec) co_return;
    if (!is_tls) {
      co_await serve(std::move(stream), buf);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), ssl_ctx);
    auto [hec, used] = co_await tls.async_handshake(asio::ssl::stream_base::server, buf.data(),
                                                     as_tuple(use_awaitable));
    if (hec) co_return;  // e.g. a client that does not trust us
    buf.consume(used);
    co_await serve(std::move(tls), buf);
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream stream, beast::flat_buffer& buf) {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(1u << 20);
      beast::get_lowest_layer(stream).expires_after(seconds{120});
      auto [rec, n] = co_await http::async_read(stream, buf, parser, as_tuple(use_awaitable));
      if (rec) co_return;
      auto req = parser.release();
      std::string target(req.target());
      if (websocket::is_upgrade(req)) {
        co_await websocket_session(std::move(stream), std::move(req));
        co_return;
      }
      if (req.method() == http::verb::post && target.starts_with("/api/v2/analytics/events")) {
        std::optional<rate_view> limit;
        if (auto denied = gate(req, limit)) {
          co_await http::async_write(stream, *denied, as_tuple(use_awaitable));
          continue;
        }
        co_await sse_session(stream);
        co_return;
      }
      auto res = handle(req);
      auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
      if (wec || !res.keep_alive()) co_return;
    }
  }

  template <typename Stream>
  asio::awaitable<void> websocket_session(Stream stream, request req) {
    std::string target(req.target());
    std::string id = target.starts_with("/channels/") ? target.substr(10) : "";
    auto it = channels.find(id);
    if (it == channels.end() || steady_clock::now() < refuse_ws_until) {
      response res{it == channels.end() ? http::status::not_found : http::status::service_unavailable,
                   req.version()};
      res.keep_alive(false);
      res.prepare_payload();
      co_await http::async_write(stream, res, as_tuple(use_awaitable));
      co_return;
    }
    websocket::stream<Stream> ws(std::move(stream));
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    auto [aec] = co_await ws.async_accept(req, as_tuple(use_awaitable));
    if (aec) co_return;
    auto box = std::make_shared<outbox>(loop.ioc.get_executor());
    box->abort = [&ws] { beast::get_lowest_layer(ws).close(); };
    // One WebSocket per channel: a second connection disconnects the first.
    if (it->second.socket) it->second.socket->close();
    it->second.socket = box;
    ws_clients.insert(box);
    count([](auto& s) { ++s.websocket_connections; });
    co_await (ws_reader(ws, box) && ws_writer(ws, box));
    box->abort = nullptr;
    ws_clients.erase(box);
    if (auto c = channels.find(id); c != channels.end() && c->second.socket == box) c->second.socket = nullptr;
  }

  template <typename WS>
  asio::awaitable<void> ws_reader(WS& ws, std::shared_ptr<outbox> box) {
    for (;;) {
      beast::flat_buffer b;
      auto [ec, n] = co_await ws.async_read(b, as_tuple(use_awaitable));
      if (ec) break;
      auto text = beast::buffers_to_string(b.data());
      if (text.find("\"ping\"") != std::string::npos)
        box->push(R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})");
    }
    box->closed = true;
    box->wake.cancel();
  }

  template <typename WS>
  asio::awaitable<void> ws_writer(WS& ws, std::shared_ptr<outbox> box) {
    while (auto next = co_await box->next()) {
      auto msg = std::move(*next);
      auto [ec, n] = co_await ws.async_write(asio::buffer(msg), as_tuple(use_awaitable));
      if (ec) break;
    }
    box->closed = true;
    beast::get_lowest_layer(ws).close();
  }

  template <typename Stream>
  asio::awaitable<void> sse_session(Stream& stream) {
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    beast::get_lowest_layer(stream).expires_after(seconds{10});
    auto [hec, hn] = co_await asio::async_write(stream, asio::buffer(head), as_tuple(use_awaitable));
    if (hec) co_return;
    auto box = std::make_shared<outbox>(loop.ioc.get_executor());
    box->abort = [&stream] { beast::get_lowest_layer(stream).close(); };
    sse_clients.insert(box);
    count([](auto& s) { ++s.sse_connections; });
    while (auto next = co_await box->next()) {
      auto msg = std::move(*next);
      // Slow delivery: every byte in its own chunk, so frames split at every possible place.
      std::size_t step = slow ? 1 : msg.size();
      bool failed = false;
      for (std::size_t i = 0; i < msg.size() && !failed; i += step) {
        auto piece = std::string_view(msg).substr(i, step);
        std::string chunk = fmt_hex(piece.size()) + "\r\n" + std::string(piece) + "\r\n";
        beast::get_lowest_layer(stream).expires_after(seconds{10});
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(chunk), as_tuple(use_awaitable));
        failed = static_cast<bool>(ec);
      }
      if (failed) break;
    }
    box->abort = nullptr;
    sse_clients.erase(box);
  }

  static std::string fmt_hex(std::size_t n) {
    char buf[32];
    auto len = std::snprintf(buf, sizeof buf, "%zx", n);
    return std::string(buf, static_cast<std::size_t>(len));
  }

  // --- conversations --------------------------------------------------------------------------

  json::object snapshot(const conversation& c) {
    conversation_shape shape;
    shape.id = c.id;
    shape.media = c.media;
    shape.start = c.started;
    shape.end = c.ended;
    shape.queue_id = c.queue_id;
    shape.user_id = c.user_id;
    shape.stage = c.stage;
    return conversation_document(shape);
  }

  std::string frame(const std::string& topic, const json::value& body) {
    return json::serialize(json::object{{"topicName", topic}, {"version", "2"}, {"eventBody", body},
                                        {"metadata", json::object{{"CorrelationId", uuid()}}}});
  }

  void deliver(const std::string& topic, const std::string& text) {
    for (auto& [id, ch] : channels) {
      if (ch.socket && ch.topics.contains(topic)) {
        ch.socket->push(text);
        count([](auto& s) { ++s.frames_published; });
      }
    }
  }

  void publish(conversation& c) {
    auto body = snapshot(c);
    auto queue_topic = "v2.routing.queues." + c.queue_id + ".conversations";
    deliver(queue_topic, frame(queue_topic, body));
    if (c.stage >= 1) {
      auto user_topic = "v2.users." + c.user_id + ".conversations";
      deliver(user_topic, frame(user_topic, body));
    }
    static constexpr std::string_view detail[] = {"customer.start", "acd.end", "user.start",
                                                  "customer.end", "acw"};
    auto detail_topic = "v2.detail.events.conversation." + c.id + "." + std::string(detail[c.stage]);
    deliver(detail_topic,
            frame(detail_topic, json::object{{"eventTime", duration_cast<milliseconds>(
                                                               system_clock::now().time_since_epoch()).count()},
                                             {"conversationId", c.id},
                                             {"mediaType", c.media == "voice" ? "VOICE" : c.media == "chat" ? "CHAT" : "MESSAGE"}}));
    // The tutorial's SSE shape.
    json::object ev{{"eventType", "conversation:" + std::string(kStages[c.stage])},
                    {"conversationId", c.id}, {"timestamp", now_iso()}, {"mediaType", c.media},
                    {"direction", "inbound"}, {"queueId", c.queue_id},
                    {"participants", body["participants"]}};
    if (c.stage == 4) ev["wrapupCode"] = "Resolved";
    sse_push("data: " + json::serialize(ev) + "\n\n");
    std::lock_guard lock(mu);
    lifecycles[c.id].emplace_back(kStages[c.stage]);
    if (c.stage == 0) ++stats.conversations_started;
    if (c.stage == 4) ++stats.conversations_wrapped;
  }

  void sse_push(const std::string& text) {
    for (auto& c : sse_clients) c->push(text);
  }

  void ws_push_all(const std::string& text) {
    for (auto& c : ws_clients) c->push(text);
  }

  void tick() {
    auto now = steady_clock::now();
    std::size_t started;
    {
      std::lock_guard lock(mu);
      started = stats.conversations_started;
    }
    // Every start due since the last tick (ticks are 20 ms apart, rates may be higher); after a
    // pause the schedule restarts instead of bursting to catch up.
    if (next_start < now - seconds{1}) next_start = now;
    while (!generator_paused && now >= next_start &&
           (opt.max_conversations == 0 || started < opt.max_conversations)) {
      next_start += opt.start_interval;
      ++started;
      conversation c;
      c.id = uuid();
      static constexpr const char* media[] = {"voice", "voice", "chat", "message"};
      c.media = media[rng() % 4];
      c.queue_id = opt.queue_ids[rng() % opt.queue_ids.size()];
      c.user_id = opt.user_ids[rng() % opt.user_ids.size()];
      c.next = now + opt.stage_interval;
      auto& stored = conversations[c.id] = c;
      history.started(c.id, c.media, c.queue_id, epoch_ms());
      if (c.media == "chat" || c.media == "message") sentiment.ensure_generated(c.id, c.media);
      publish(stored);
    }
    for (auto it = conversations.begin(); it != conversations.end();) {
      auto& c = it->second;
      if (c.stage < 4 && now >= c.next && !generator_paused) {
        ++c.stage;
        c.next = now + opt.stage_interval;
        if (c.stage == 4) c.done_at = now;
        if (c.stage == 3) {
          c.ended = system_clock::now();
          history.ended(c.id, epoch_ms());  // before its end is published
        }
        publish(c);
      }
      // Finished conversations stay readable for reconciliation for a while.
      if (c.stage == 4 && now - c.done_at > minutes{5}) it = conversations.erase(it);
      else ++it;
    }
    if (!heartbeats_paused && now >= next_heartbeat) {
      next_heartbeat = now + opt.heartbeat_interval;
      ws_push_all(R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})");
    }
    if (now >= next_keepalive) {
      next_keepalive = now + opt.sse_keepalive_interval;
      sse_push(keepalive_braces ? "data: {}\n\n" : "data:\n\n");
      keepalive_braces = !keepalive_braces;
    }
    auto wall = system_clock::now();
    for (auto it = channels.begin(); it != channels.end();) {
      if (it->second.expires <= wall || (opt.channels_end_with_token && it->second.token_expires <= now)) {
        if (it->second.socket) it->second.socket->close();
        std::erase(channel_lru, it->first);
        it = channels.erase(it);
      } else {
        ++it;
      }
    }
  }

  asio::awaitable<void> tick_loop() {
    for (;;) {
      tick_timer.expires_after(milliseconds{20});
      auto [ec] = co_await tick_timer.async_wait(as_tuple(use_awaitable));
      if (ec) co_return;
      tick();
    }
  }

  void start() {
    next_heartbeat = steady_clock::now() + opt.heartbeat_interval;
    asio::co_spawn(loop.ioc, accept_loop(), asio::detached);
    asio::co_spawn(loop.ioc, tick_loop(), asio::detached);
    loop.start();
  }

  template <typename F>
  void on_sim_thread(F f) {
    loop.run_on_loop(f);
  }

  void stop() {
    loop.stop([this] {
      tick_timer.cancel();
      for (auto& c : std::set(ws_clients)) c->close();
      for (auto& c : std::set(sse_clients)) c->close();
    });
  }
};

genesys_simulator::genesys_simulator(sim_options options)
    : impl_(std::make_shared<impl>(std::move(options))) {
  impl_->start();
}

genesys_simulator::~genesys_simulator() { impl_->stop(); }

std::uint16_t genesys_simulator::port() const noexcept { return impl_->loop.port(); }
std::string genesys_simulator::https_url() const { return "https://127.0.0.1:" + std::to_string(port()); }
std::string genesys_simulator::http_url() const { return "http://127.0.0.1:" + std::to_string(port()); }
const std::string& genesys_simulator::certificate_pem() const noexcept { return impl_->cert.cert_pem; }

void genesys_simulator::drop_sockets() {
  impl_->on_sim_thread([s = impl_.get()] {
    for (auto& c : std::set(s->ws_clients)) c->close();
  });
}

void genesys_simulator::refuse_websockets_for(milliseconds d) {
  impl_->on_sim_thread([s = impl_.get(), d] { s->refuse_ws_until = steady_clock::now() + d; });
}

void genesys_simulator::send_socket_closing() {
  impl_->on_sim_thread([s = impl_.get()] {
    for (auto& [id, ch] : s->channels) {
      if (!ch.socket) continue;
      ch.socket->push(s->frame("v2.system.socket_closing",
                               json::object{{"channelId", id}, {"systemTopicType", "socket_closing"},
                                            {"reason", "maintenance"},
                                            {"message", "The socket will close shortly"}}));
      auto timer = std::make_shared<asio::steady_timer>(s->loop.ioc, s->opt.socket_closing_grace);
      timer->async_wait([timer, weak = std::weak_ptr<outbox>(ch.socket)](auto) {
        if (auto box = weak.lock()) box->close();
      });
    }
  });
}

void genesys_simulator::expire_channels() {
  impl_->on_sim_thread([s = impl_.get()] {
    for (auto& [id, ch] : s->channels) ch.expires = system_clock::now();
    s->tick();
  });
}

void genesys_simulator::rate_limit_next(int requests, int retry_after_seconds) {
  impl_->on_sim_thread([s = impl_.get(), requests, retry_after_seconds] {
    s->rate_limit_remaining = requests;
    s->retry_after_seconds = retry_after_seconds;
  });
}

void genesys_simulator::fail_next(int requests, unsigned status) {
  impl_->on_sim_thread([s = impl_.get(), requests, status] {
    s->fail_remaining = requests;
    s->fail_status = status;
  });
}

void genesys_simulator::revoke_tokens() {
  impl_->on_sim_thread([s = impl_.get()] { s->tokens.clear(); });
}
void genesys_simulator::reject_credentials(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->credentials_rejected = on; });
}
void genesys_simulator::forbid(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->forbidden = on; });
}
void genesys_simulator::refuse_writes_after_end(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->opt.refuse_writes_after_end = on; });
}

void genesys_simulator::inject_malformed() {
  impl_->on_sim_thread([s = impl_.get()] {
    s->ws_push_all(R"({"topicName":"v2.routing.queues.q.conversations","eventBody":{"id":)");
    s->sse_push("data: {\"eventType\":\"conversation:start\",\"conversationId\":\n\n");
  });
}

void genesys_simulator::inject_oversized(std::size_t bytes) {
  impl_->on_sim_thread([s = impl_.get(), bytes] {
    std::string pad(bytes, 'x');
    s->ws_push_all(s->frame("v2.routing.queues." + s->opt.queue_ids[0] + ".conversations",
                            json::object{{"id", "oversized"}, {"pad", pad}}));
    s->sse_push("data: {\"eventType\":\"conversation:update\",\"conversationId\":\"oversized\",\"pad\":\"" +
                pad + "\"}\n\n");
  });
}

void genesys_simulator::inject_wrong_types() {
  impl_->on_sim_thread([s = impl_.get()] {
    s->ws_push_all(s->frame("v2.routing.queues." + s->opt.queue_ids[0] + ".conversations",
                            json::object{{"id", 42}, {"participants", json::array{}}}));
    s->sse_push("data: {\"eventType\":\"conversation:start\",\"conversationId\":42}\n\n");
  });
}

void genesys_simulator::slow_delivery(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->slow = on; });
}
void genesys_simulator::pause_heartbeats(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->heartbeats_paused = on; });
}
void genesys_simulator::pause_generator(bool on) {
  impl_->on_sim_thread([s = impl_.get(), on] { s->generator_paused = on; });
}

sim_stats genesys_simulator::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

std::map<std::string, std::vector<std::string>> genesys_simulator::published_lifecycles() const {
  std::lock_guard lock(impl_->mu);
  return impl_->lifecycles;
}

}  // namespace grm::sim

namespace grm::sim {

void genesys_simulator::add_sentiment(sentiment_record record) {
  impl_->on_sim_thread([s = impl_.get(), &record] { s->sentiment.put(std::move(record)); });
}

std::optional<sentiment_record> genesys_simulator::sentiment_of(const std::string& id) const {
  std::optional<sentiment_record> out;
  impl_->on_sim_thread([s = impl_.get(), &id, &out] {
    if (auto* r = s->sentiment.find(id)) out = *r;
  });
  return out;
}

std::optional<std::string> genesys_simulator::conversation_json(const std::string& id) const {
  std::optional<std::string> out;
  impl_->on_sim_thread([s = impl_.get(), &id, &out] {
    if (auto* r = s->sentiment.find(id)) out = json::serialize(document_of(*r));
  });
  return out;
}

std::size_t genesys_simulator::sentiment_reads() const {
  std::size_t n = 0;
  impl_->on_sim_thread([s = impl_.get(), &n] { n = s->sentiment.analytics_queries + s->sentiment.sta_reads; });
  return n;
}

}  // namespace grm::sim
