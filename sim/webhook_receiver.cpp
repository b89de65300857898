#include "sim/webhook_receiver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <fstream>

#include "sim/http_service.hpp"
#include "sim/loopback.hpp"

namespace grm::sim {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

struct webhook_receiver::impl {
  impl(std::uint16_t port, const std::string& log_path) : loop("127.0.0.1", port), tls(asio::ssl::context::tls_server) {
    if (!log_path.empty()) log.open(log_path, std::ios::app);
    cert = use_new_certificate(tls, "genesys-relay webhook receiver " + std::to_string(loop.port()));
  }
  loopback_loop loop;
  asio::ssl::context tls;
  certificate cert;
  std::vector<received_webhook> got;
  int failing = 0;
  unsigned fail_status = 503;
  bool stalled = false;
  std::ofstream log;

  asio::awaitable<http_response_msg> handle(http_request_msg& req) {
    if (req.method() != http::verb::post) co_return make_response(req, 405, "text/plain", "");
    auto field = [&](http::field f) { return std::string(req[f]); };
    auto named = [&](const char* name) { return std::string(req[name]); };
    got.push_back({std::string(req.target()), req.body(), field(http::field::content_type), field(http::field::authorization),
                   named("Idempotency-Key"), named("X-Genesys-Relay-Timestamp"), named("X-Genesys-Relay-Signature"), 200});
    if (log) {
      auto& g = got.back();
      log << json::serialize(json::object{{"path", g.path}, {"idempotencyKey", g.idempotency_key}, {"signature", g.signature},
                                          {"body", g.body}})
          << '\n' << std::flush;
    }
    if (failing > 0) {
      --failing;
      got.back().answered = fail_status;
      co_return make_response(req, fail_status, "application/json", R"({"status":"unavailable"})");
    }
    while (stalled) {  // hung: hold the request; the client's deadline ends it
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds{100});
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return make_response(req, 200, "application/json", R"({"status":"ok"})");
  }
};

webhook_receiver::webhook_receiver(std::uint16_t port, const std::string& log) : impl_(std::make_unique<impl>(port, log)) {
  auto* self = impl_.get();  // the handler lives in the loop, which impl owns
  serve_http(impl_->loop, impl_->tls, [self](http_request_msg& req) { return self->handle(req); });
  impl_->loop.start();
}

webhook_receiver::~webhook_receiver() { impl_->loop.stop(); }

std::string webhook_receiver::http_url() const { return "http://127.0.0.1:" + std::to_string(impl_->loop.port()); }
std::string webhook_receiver::https_url() const { return "https://127.0.0.1:" + std::to_string(impl_->loop.port()); }
const std::string& webhook_receiver::certificate_pem() const noexcept { return impl_->cert.cert_pem; }

void webhook_receiver::fail_next(int requests, unsigned status) {
  impl_->loop.run_on_loop([&] {
    impl_->failing = requests;
    impl_->fail_status = status;
  });
}

void webhook_receiver::stall(bool on) {
  impl_->loop.run_on_loop([&] { impl_->stalled = on; });
}

std::size_t webhook_receiver::accepted() const {
  std::size_t n = 0;
  for (auto& r : received()) n += r.answered == 200;
  return n;
}

std::vector<received_webhook> webhook_receiver::received() const {
  std::vector<received_webhook> out;
  impl_->loop.run_on_loop([&] { out = impl_->got; });
  return out;
}

}  // namespace grm::sim
