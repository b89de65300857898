#pragma once
// Serves plain HTTP and HTTPS on one loopback port (TLS detected per connection) with keep-alive,
// handing each request to an async handler. Internal to sim/ (pulls in Beast).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>

#include "sim/loopback.hpp"
#include "sim/tls_cert.hpp"

namespace grm::sim {

using http_request_msg = boost::beast::http::request<boost::beast::http::string_body>;
using http_response_msg = boost::beast::http::response<boost::beast::http::string_body>;
using http_handler = std::function<boost::asio::awaitable<http_response_msg>(http_request_msg&)>;

// Starts accepting on `loop` (call before loop.start()). `tls` and `handler` must outlive the loop.
void serve_http(loopback_loop& loop, boost::asio::ssl::context& tls, http_handler handler,
                std::size_t body_limit = 8u << 20);

// A fresh self-signed certificate for `common_name`, loaded into `tls` (a server context). Give
// each fixture a name of its own: a client trusting several must not see two with one subject.
certificate use_new_certificate(boost::asio::ssl::context& tls, const std::string& common_name);

// A response with the request's version and keep-alive, the given status, type and body.
http_response_msg make_response(const http_request_msg& req, unsigned status, std::string content_type,
                                std::string body);

}  // namespace grm::sim
