// `genesys-relay dlq list|show|replay|purge`: the dead letters in the state database. list, show
// and purge read the database only (no Genesys credentials needed); replay builds the configured
// sinks and sends each dead letter back through the outbox to its sink, with its forwardingId.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "delivery/database.hpp"
#include "delivery/dead_letters.hpp"
#include "delivery/outbox.hpp"
#include "genesys/api.hpp"
#include "topology/service.hpp"

namespace grm::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string when(std::int64_t ms) { return format_rfc3339_epoch_ms(ms); }

std::string line_of(const delivery::dead_letter& d) {
  return fmt::format("{}  {}  {}  {}  {}{}  attempts {}  dead {}{}  — {}", d.id, d.sink, d.conversation_id, d.kind, d.code,
                     d.status ? fmt::format(" (HTTP {})", d.status) : "", d.attempts, when(d.dead_ms),
                     d.replayed_ms ? "  replayed " + when(*d.replayed_ms) : "", d.message);
}

json::object json_of(const delivery::dead_letter& d, bool payload) {
  json::object o{{"id", d.id},         {"sink", d.sink},           {"key", d.key},
                 {"idempotencyKey", d.idempotency_key},            {"conversationId", d.conversation_id},
                 {"kind", d.kind},     {"errorKind", d.error_kind}, {"status", d.status},
                 {"code", d.code},     {"message", d.message},     {"attempts", d.attempts},
                 {"acceptedAt", when(d.accepted_ms)},              {"deadAt", when(d.dead_ms)}};
  if (d.replayed_ms) o["replayedAt"] = when(*d.replayed_ms);
  if (payload) o["payload"] = d.payload;
  return o;
}

delivery::dead_letter_filter filter_of(const dlq_args& a) {
  delivery::dead_letter_filter f;
  f.ids = a.ids;
  f.sink = a.sink;
  f.include_replayed = a.include_replayed || !a.ids.empty();
  if (a.older_than_h > 0) f.dead_before_ms = delivery::now_ms() - static_cast<std::int64_t>(a.older_than_h * 3'600'000.0);
  return f;
}

int fail(int code, const std::string& m) {
  std::cerr << "genesys-relay dlq: " << m << "\n";
  return code;
}

int replay(const dlq_args& a) {
  asio::io_context ioc(1);
  std::unique_ptr<topology::service> svc;
  try {
    svc = std::make_unique<topology::service>(ioc.get_executor(), topology::load(a.config_path, topology::purpose::replay),
                                              topology::purpose::replay, log_line);
  } catch (const relay_error& e) {
    return fail(2, e.what());
  }
  auto deliveries = asio::co_spawn(ioc, svc->run(), asio::use_future);
  auto done = asio::co_spawn(ioc, [&]() -> asio::awaitable<std::vector<delivery::replay_report>> {
    std::vector<delivery::replay_report> out;
    std::exception_ptr failure;
    try {
      out = co_await svc->delivery().replay(filter_of(a), a.wait);
    } catch (...) {
      failure = std::current_exception();
    }
    svc->stop();
    if (failure) std::rethrow_exception(failure);
    co_return out;
  }, asio::use_future);
  ioc.run();
  deliveries.get();
  std::vector<delivery::replay_report> reports;
  try {
    reports = done.get();
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
  int code = 0;
  for (auto& r : reports) {
    auto state = !r.replayed ? "not replayed" : r.state == delivery::delivery_state::pending ? "retrying" : to_string(r.state);
    std::cout << fmt::format("{}  {}  {}  — {}", r.dead_letter, r.sink, state, r.detail) << std::endl;
    if (!r.replayed || r.state == delivery::delivery_state::dead_lettered) code = 1;
    else if (r.state == delivery::delivery_state::pending && code == 0) code = 4;
  }
  if (reports.empty()) std::cerr << "genesys-relay dlq: no dead letter matches\n";
  return code;
}

}  // namespace

int run_dlq(const dlq_args& a) {
  if (a.action == "replay") return replay(a);
  try {
    asio::io_context ioc(1);
    // Reading the state only: no Genesys credentials, no sinks (the outbox creates its tables in a new database).
    topology::service svc(ioc.get_executor(), topology::load(a.config_path, topology::purpose::inspect), topology::purpose::inspect,
                          log_line);
    auto& db = svc.database();
    auto& letters = svc.delivery().dlq();
    if (a.action == "purge") {
      if (a.ids.empty() && !a.all && a.sink.empty() && a.older_than_h <= 0)
        return fail(2, "purge needs dead letter ids, --sink, --older-than-h or --all");
      auto f = filter_of(a);
      f.include_replayed = true;
      std::cout << letters.purge(f) << " dead letter(s) purged\n";
      return 0;
    }
    if (a.action == "show") {
      if (a.ids.empty()) return fail(2, "show needs dead letter ids");
      for (auto id : a.ids) {
        auto d = letters.get(id);
        if (!d) return fail(1, "no dead letter " + std::to_string(id) + " in " + db.path());
        std::cout << json::serialize(json_of(*d, true)) << "\n";
      }
      return 0;
    }
    auto list = letters.list(filter_of(a));
    for (auto& d : list) std::cout << (a.json ? json::serialize(json_of(d, false)) : line_of(d)) << "\n";
    if (!a.json) std::cerr << list.size() << " dead letter(s) in " << db.path() << "\n";
    return 0;
  } catch (const relay_error& e) {
    return fail(e.kind() == error_kind::config ? 2 : 1, e.what());
  }
}

}  // namespace grm::app
