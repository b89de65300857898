#include "sources/event_stream_sse/sse_source.hpp"

#include <boost/json.hpp>

#include <random>

#include "core/error.hpp"
#include "genesys/api.hpp"
#include "net/endpoint.hpp"
#include "net/sse_parser.hpp"

namespace grm::sources {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

std::string default_sse_query(const std::vector<std::string>& event_types,
                              const std::vector<std::string>& media_types) {
  json::array types;
  for (auto& t : event_types) types.push_back(json::string("conversation:" + t));
  if (types.empty())
    for (auto t : {"start", "update", "end", "wrapup"}) types.push_back(json::string(std::string("conversation:") + t));
  json::object q{{"eventTypes", types}, {"interval", "PT1S"}};
  if (!media_types.empty()) {
    json::array clauses;
    for (auto& m : media_types)
      clauses.push_back(json::object{{"type", "EQ"}, {"field", "mediaType"}, {"value", m}});
    q["filter"] = json::object{{"type", media_types.size() == 1 ? "AND" : "OR"}, {"clauses", clauses}};
  }
  return json::serialize(q);
}

namespace {

asio::awaitable<std::string> read_error_body(net::http_body_stream& s) {
  std::string body;
  while (body.size() < 64 * 1024) {
    auto n = co_await s.read_some(body);  // not in the loop condition: see net/http_client.cpp
    if (n == 0) break;
  }
  co_return body;
}

}  // namespace

asio::awaitable<void> run_sse_source(source_context ctx, sse_source_options opt) {
  const std::string origin = "sse:" + opt.path;
  const std::string url = ctx.api.api_base() + opt.path;
  std::optional<milliseconds> server_retry;
  net::sse_parser parser(
      {[&](const net::sse_event& e) { ctx.pipeline.sse_data(e.data, origin); },
       [&](std::uint64_t ms) { server_retry = milliseconds{static_cast<std::int64_t>(std::min<std::uint64_t>(ms, 3'600'000))}; },
       [&](std::string_view m) { ctx.pipeline.report_error(std::string(m), {}, origin); }},
      opt.max_event_bytes);
  stream_failures failures(ctx, "SSE stream");
  bool refreshed = false;
  while (!ctx.shutdown.requested()) {
    std::string reason;
    std::optional<net::http_response> failed_response;
    try {
      auto token = co_await ctx.tokens.access_token();
      net::http_request req{"POST", url,
                            {{"Authorization", "Bearer " + std::string(token.reveal())},
                             {"Content-Type", "application/json"},
                             {"Accept", "text/event-stream"}},
                            opt.query_json, std::nullopt};
      if (!parser.last_event_id().empty()) req.headers.push_back({"Last-Event-ID", parser.last_event_id()});
      auto stream = co_await ctx.http.open_stream(std::move(req), opt.idle_timeout);
      stop_registration reg(ctx.shutdown, [s = stream.get()] { s->close(); });
      auto status = stream->status();
      if (status == 401 && !refreshed) {
        refreshed = true;  // expired or revoked token: one fresh token before calling it fatal
        ctx.tokens.invalidate();
        continue;
      }
      if (status != 200) {
        auto body = co_await read_error_body(*stream);
        auto e = genesys::parse_api_error(body);
        std::string detail = "HTTP " + std::to_string(status) + (e.code.empty() ? "" : " " + e.code) +
                             (e.message.empty() ? "" : ": " + e.message);
        if (status == 401 || status == 403)
          throw relay_error(error_kind::auth, "SSE stream " + opt.path + ": OAuth client '" +
                                                  ctx.tokens.client_id() + "' was refused (" + detail +
                                                  ")" + (status == 403 ? ". Grant the missing permission to a role of this OAuth client" : ""));
        if (status == 404)
          throw relay_error(error_kind::config,
                            "SSE stream " + net::redacted_url(url) + " answered " + detail +
                                ": this endpoint is the tutorial's, Genesys Cloud has no SSE stream; use monitor.transports = "
                                "[\"notifications\"] against a real org");
        net::http_response r{status, {}, {}};
        if (auto ra = stream->header_value("Retry-After")) r.headers.push_back({"Retry-After", std::string(*ra)});
        failed_response = std::move(r);
        reason = detail;
      } else {
        ++ctx.stats.connects;
        ctx.log(severity::info, "SSE stream connected: " + net::redacted_url(url) +
                                    (failures.count() ? " after " + std::to_string(failures.count()) + " failed attempt(s)" : ""));
        failures.connected();
        refreshed = false;
        std::string chunk;
        for (;;) {
          chunk.clear();
          if (co_await stream->read_some(chunk) == 0) break;
          parser.feed(chunk);
        }
        parser.end_of_stream();
        reason = "stream closed by the server";
      }
    } catch (const relay_error& e) {
      parser.end_of_stream();
      if (is_fatal_for_streams(e.kind())) throw;
      if (ctx.shutdown.requested()) break;
      reason = e.what();
    }
    if (ctx.shutdown.requested()) break;
    auto delay = failures.failed(reason, failed_response ? &*failed_response : nullptr);
    if (server_retry && !failed_response) delay = std::max(delay, *server_retry);
    if (failures.worth_logging())
      ctx.log(severity::warn, "SSE stream: " + reason + "; reconnecting in " + std::to_string(delay.count()) +
                                  " ms (failure " + std::to_string(failures.count()) +
                                  (ctx.reconnect.max_retries > 0 ? " of at most " + std::to_string(ctx.reconnect.max_retries) : "") +
                                  ")");
    co_await ctx.shutdown.sleep(delay);
  }
}

}  // namespace grm::sources
