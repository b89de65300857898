#include "delivery/outbox.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <map>
#include <variant>

#include "delivery/database.hpp"

namespace grm::delivery {

namespace asio = boost::asio;
using namespace std::chrono;

std::string_view to_string(delivery_state s) noexcept {
  switch (s) {
    case delivery_state::pending: return "pending";
    case delivery_state::delivered: return "delivered";
    case delivery_state::dead_lettered: return "dead-lettered";
  }
  return "pending";
}

namespace {

// One caller waiting for its write to be committed.
struct waiter {
  explicit waiter(asio::any_io_executor ex) : timer(ex, steady_clock::time_point::max()) {}
  asio::steady_timer timer;
  bool done = false;
  std::exception_ptr error;
  std::int64_t value = 0;
};
using waiter_ptr = std::shared_ptr<waiter>;

struct accept_op {
  message m;
  std::vector<std::string> sinks;
  std::function<void()> also;
};
struct results_op {
  std::vector<outbox_result> results;
};
struct forget_op {
  std::int64_t message_id;
};
struct lease_op {
  bool release = false;
};
using write = std::variant<accept_op, results_op, forget_op, lease_op>;

asio::awaitable<void> wait_for(waiter_ptr w) {
  while (!w->done) co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));  // woken by cancel
  if (w->error) std::rethrow_exception(w->error);
}

void create_tables(database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS outbox_messages (id INTEGER PRIMARY KEY, key TEXT NOT NULL, "
      "idempotency_key TEXT NOT NULL, conversation_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, "
      "created_ms INTEGER NOT NULL, open_deliveries INTEGER NOT NULL)");
  // Ids grow with created_ms and a final message is dropped soon after: the oldest open one is
  // found in id order, without an index to maintain on every accept and acknowledgement.
  db.exec("DROP INDEX IF EXISTS outbox_open");
  db.exec(
      "CREATE TABLE IF NOT EXISTS outbox_deliveries (id INTEGER PRIMARY KEY, "
      "message_id INTEGER NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE, sink TEXT NOT NULL, "
      "state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, "
      "detail TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL)");
  db.exec("CREATE INDEX IF NOT EXISTS outbox_by_message ON outbox_deliveries(message_id)");
  db.exec("CREATE TABLE IF NOT EXISTS outbox_owners (owner TEXT PRIMARY KEY, lease_until_ms INTEGER NOT NULL)");
  bool has_owner = true;
  {
    database::statement q(db, "SELECT COUNT(*) FROM pragma_table_info('outbox_deliveries') WHERE name = 'owner'");
    has_owner = q.step() && q.integer(0) > 0;
  }  // reset before the ALTER: a statement still stepping locks the table
  if (!has_owner) {
    // A file from before owners: its rows belong to '', an owner whose lease has lapsed.
    db.exec("ALTER TABLE outbox_deliveries ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
    db.exec("INSERT OR IGNORE INTO outbox_owners (owner, lease_until_ms) VALUES ('', 0)");
  }
  db.exec("DROP INDEX IF EXISTS outbox_due");
  db.exec("CREATE INDEX IF NOT EXISTS outbox_due_by_owner ON outbox_deliveries(owner, sink, state, next_attempt_ms)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY, sink TEXT NOT NULL, key TEXT NOT NULL, "
      "idempotency_key TEXT NOT NULL, conversation_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, "
      "error_kind TEXT NOT NULL, status INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, "
      "attempts INTEGER NOT NULL, accepted_ms INTEGER NOT NULL, dead_ms INTEGER NOT NULL, replayed_ms INTEGER)");
}

}  // namespace

struct outbox::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, database& d, outbox_limits l, log_fn lg)
      : executor(ex), db(d), limits(l), log(std::move(lg)), room(ex, steady_clock::time_point::max()) {
    try {
      create_tables(db);
    } catch (const relay_error& e) {
      throw relay_error(error_kind::config, std::string(e.what()) + " (the relay cannot start without its outbox)");
    }
    database::statement q(db, "SELECT COUNT(*) FROM outbox_deliveries WHERE state = 0");
    if (q.step()) stats.pending = static_cast<std::size_t>(q.integer(0));
  }

  asio::any_io_executor executor;
  database& db;
  outbox_limits limits;
  log_fn log;
  finaliser final_handler;
  std::function<bool(const std::string&, std::int64_t)> observed;
  std::function<void(const std::string&)> wake;
  std::vector<std::pair<write, waiter_ptr>> queue;
  bool flush_posted = false;
  std::size_t queued_deliveries = 0;  // accepted but not committed yet (counts against the bound)
  bool full_logged = false;
  bool registered = false;  // our row in outbox_owners is written
  asio::steady_timer room;  // accept() waits here while full; cancelled when deliveries end
  outbox_stats stats;

  waiter_ptr enqueue(write w) {
    auto wt = std::make_shared<waiter>(executor);
    queue.emplace_back(std::move(w), wt);
    if (!flush_posted) {
      flush_posted = true;
      asio::post(executor, [self = shared_from_this()] { self->flush(); });
    }
    return wt;
  }

  // --- applying one write inside the group's transaction ------------------------------------
  std::int64_t apply(const accept_op& a, std::int64_t now) {
    database::statement m(db,
                          "INSERT INTO outbox_messages (key, idempotency_key, conversation_id, kind, payload, created_ms, "
                          "open_deliveries) VALUES (?, ?, ?, ?, ?, ?, ?)");
    m.bind(1, a.m.key).bind(2, a.m.idempotency_key).bind(3, a.m.conversation_id).bind(4, a.m.kind).bind(5, a.m.payload);
    m.bind(6, now).bind(7, static_cast<std::int64_t>(a.sinks.size())).run();
    auto id = db.last_insert_id();
    if (a.also) a.also();
    if (!registered) renew(now);  // before any row of ours: an owner that vanishes is always known
    for (auto& sink : a.sinks) {
      database::statement d(db,
                            "INSERT INTO outbox_deliveries (message_id, sink, owner, next_attempt_ms, updated_ms) "
                            "VALUES (?, ?, ?, ?, ?)");
      d.bind(1, id).bind(2, sink).bind(3, limits.owner).bind(4, now).bind(5, now).run();
    }
    return id;
  }

  void renew(std::int64_t now) {
    database::statement up(db,
                           "INSERT INTO outbox_owners (owner, lease_until_ms) VALUES (?, ?) "
                           "ON CONFLICT(owner) DO UPDATE SET lease_until_ms = excluded.lease_until_ms");
    up.bind(1, limits.owner).bind(2, now + limits.lease.count()).run();
    registered = true;
  }

  // Renews our lease, then takes the rows of every owner whose lease lapsed; returns how many.
  std::int64_t apply(const lease_op& l, std::int64_t now) {
    if (l.release) {
      database::statement up(db, "UPDATE outbox_owners SET lease_until_ms = 0 WHERE owner = ?");
      up.bind(1, limits.owner).run();
      registered = false;
      return 0;
    }
    renew(now);
    std::vector<std::string> lapsed;
    {
      database::statement q(db, "SELECT owner FROM outbox_owners WHERE owner != ? AND lease_until_ms <= ?");
      q.bind(1, limits.owner).bind(2, now);
      while (q.step()) lapsed.push_back(q.text(0));
    }
    std::int64_t taken = 0;
    for (auto& owner : lapsed) {
      database::statement up(db, "UPDATE outbox_deliveries SET owner = ? WHERE owner = ?");
      up.bind(1, limits.owner).bind(2, owner).run();
      taken += db.changes();
      database::statement del(db, "DELETE FROM outbox_owners WHERE owner = ?");
      del.bind(1, owner).run();
    }
    return taken;
  }

  // A delivery reaches a final state; returns its message id when that made an observed message
  // final. The last open delivery of a message nobody looks at once it is final (lifecycle
  // events) deletes the message, which takes its deliveries with it: no update of either row
  // (the updates were half of an acknowledgement's B-tree writes).
  std::optional<std::int64_t> close_delivery(std::int64_t id, delivery_state st, const std::string& detail, std::int64_t now) {
    std::int64_t message_id = 0;
    bool last = false;
    {
      database::statement q(db,
                            "SELECT d.message_id, m.open_deliveries, m.kind FROM outbox_deliveries d JOIN outbox_messages m "
                            "ON m.id = d.message_id WHERE d.id = ? AND d.state = 0");
      q.bind(1, id);
      if (!q.step()) return std::nullopt;  // already final (a replayed result)
      message_id = q.integer(0);
      last = q.integer(1) == 1;
      if (last && unobserved(q.text(2), message_id)) {
        q.reset();
        drop_message(message_id);
        if (stats.pending) --stats.pending;
        return std::nullopt;
      }
    }
    database::statement up(db, "UPDATE outbox_deliveries SET state = ?, detail = ?, attempts = attempts + 1, updated_ms = ? WHERE id = ?");
    up.bind(1, static_cast<std::int64_t>(st)).bind(2, detail).bind(3, now).bind(4, id).run();
    database::statement msg(db, "UPDATE outbox_messages SET open_deliveries = open_deliveries - 1 WHERE id = ?");
    msg.bind(1, message_id).run();
    if (stats.pending) --stats.pending;
    return last ? std::optional(message_id) : std::nullopt;
  }

  void drop_message(std::int64_t message_id) {
    database::statement del(db, "DELETE FROM outbox_messages WHERE id = ?");  // its deliveries go with it (cascade)
    del.bind(1, message_id).run();
  }

  bool unobserved(const std::string& kind, std::int64_t message_id) const {
    return !final_handler || (observed && !observed(kind, message_id));
  }

  void apply_dead(std::int64_t id, const dead_letter_reason& reason, std::int64_t now) {
    database::statement ins(
        db,
        "INSERT INTO dead_letters (sink, key, idempotency_key, conversation_id, kind, payload, error_kind, status, code, "
        "message, attempts, accepted_ms, dead_ms) SELECT d.sink, m.key, m.idempotency_key, m.conversation_id, m.kind, "
        "m.payload, ?, ?, ?, ?, d.attempts + 1, m.created_ms, ? FROM outbox_deliveries d JOIN outbox_messages m ON "
        "m.id = d.message_id WHERE d.id = ? AND d.state = 0");
    ins.bind(1, to_string(reason.kind)).bind(2, static_cast<std::int64_t>(reason.status)).bind(3, reason.code);
    ins.bind(4, reason.message).bind(5, now).bind(6, id).run();
  }

  void apply(const outbox_result& r, std::int64_t now, std::vector<std::int64_t>& finals) {
    std::optional<std::int64_t> final;
    switch (r.state) {
      case delivery_state::delivered:
        final = close_delivery(r.delivery_id, delivery_state::delivered, r.detail, now);
        break;
      case delivery_state::pending: {
        database::statement up(db,
                               "UPDATE outbox_deliveries SET attempts = attempts + 1, next_attempt_ms = ?, detail = ?, "
                               "updated_ms = ? WHERE id = ? AND state = 0");
        up.bind(1, r.next_attempt_ms).bind(2, r.detail).bind(3, now).bind(4, r.delivery_id).run();
        break;
      }
      case delivery_state::dead_lettered:
        apply_dead(r.delivery_id, r.reason, now);
        final = close_delivery(r.delivery_id, delivery_state::dead_lettered, r.reason.code + ": " + r.reason.message, now);
        break;
    }
    if (final) finals.push_back(*final);
  }

  void flush() {
    flush_posted = false;
    auto batch = std::move(queue);
    queue.clear();
    if (batch.empty()) return;
    auto now = now_ms();
    std::vector<std::int64_t> finals;
    std::vector<final_message> loaded;
    std::set<std::string> woken;
    std::size_t accepted_deliveries = 0;
    try {
      database::transaction tx(db);
      for (auto& [w, wt] : batch) {
        std::visit(
            [&](auto& op) {
              using T = std::decay_t<decltype(op)>;
              if constexpr (std::is_same_v<T, accept_op>) {
                wt->value = apply(op, now);
                accepted_deliveries += op.sinks.size();
                woken.insert(op.sinks.begin(), op.sinks.end());
              } else if constexpr (std::is_same_v<T, results_op>) {
                for (auto& r : op.results) apply(r, now, finals);
              } else if constexpr (std::is_same_v<T, lease_op>) {
                wt->value = apply(op, now);
              } else {
                drop_message(op.message_id);
              }
            },
            w);
      }
      // What the finaliser sees, read in this transaction (not one read transaction per message).
      for (auto id : finals)
        if (auto f = load_final(id)) loaded.push_back(std::move(*f));
      tx.commit();
    } catch (...) {
      auto e = std::current_exception();
      for (auto& [w, wt] : batch) {
        if (std::holds_alternative<accept_op>(w)) queued_deliveries -= std::get<accept_op>(w).sinks.size();
        wt->error = e;
        wt->done = true;
        wt->timer.cancel();
      }
      room.cancel();
      return;
    }
    ++stats.commits;
    for (auto& [w, wt] : batch)
      stats.rows_committed += std::holds_alternative<results_op>(w) ? std::get<results_op>(w).results.size() : 1;
    for (auto& [w, wt] : batch) {
      std::visit(
          [&](auto& op) {
            using T = std::decay_t<decltype(op)>;
            if constexpr (std::is_same_v<T, accept_op>) {
              ++stats.accepted;
              queued_deliveries -= op.sinks.size();
            } else if constexpr (std::is_same_v<T, results_op>) {
              for (auto& r : op.results) {
                if (r.state == delivery_state::delivered) ++stats.delivered;
                else if (r.state == delivery_state::pending) ++stats.retried;
                else ++stats.dead_lettered;
              }
            }
          },
          w);
      wt->done = true;
      wt->timer.cancel();
    }
    stats.pending += accepted_deliveries;
    if (stats.pending + queued_deliveries < limits.max_pending) {
      if (full_logged && log)
        log(severity::info, fmt::format("outbox has room again ({} deliveries pending)", stats.pending));
      full_logged = false;
    }
    room.cancel();
    if (wake)
      for (auto& s : woken) wake(s);
    for (auto& f : loaded) finalise(f);
  }

  std::optional<final_message> load_final(std::int64_t id) {
    database::statement m(db,
                          "SELECT key, idempotency_key, conversation_id, kind, payload, created_ms FROM outbox_messages WHERE id = ?");
    m.bind(1, id);
    if (!m.step()) return std::nullopt;
    final_message f;
    f.message_id = id;
    f.accepted_ms = m.integer(5);
    f.msg = {m.text(0), m.text(1), m.text(2), m.text(3), m.text(4)};
    database::statement d(db, "SELECT sink, state, detail, attempts FROM outbox_deliveries WHERE message_id = ? ORDER BY id");
    d.bind(1, id);
    while (d.step())
      f.outcomes.push_back({d.text(0), static_cast<delivery_state>(d.integer(1)), d.text(2), static_cast<int>(d.integer(3))});
    return f;
  }

  void finalise(const final_message& f) {
    try {
      if (final_handler) final_handler(f);
      enqueue(forget_op{f.message_id});  // after the finaliser: a crash in between finalises it again
    } catch (const std::exception& e) {
      finalise_failed(f.message_id, e);
    }
  }

  void finalise_failed(std::int64_t id, const std::exception& e) {
    if (log) log(severity::error, fmt::format("outbox: finalising message {}: {}; tried again at the next start", id, e.what()));
  }
};

outbox::outbox(asio::any_io_executor ex, database& db, outbox_limits limits, log_fn log)
    : impl_(std::make_shared<impl>(ex, db, limits, std::move(log))) {}

outbox::~outbox() = default;

void outbox::on_final(finaliser f) { impl_->final_handler = std::move(f); }
void outbox::observes(std::function<bool(const std::string&, std::int64_t)> f) { impl_->observed = std::move(f); }
void outbox::on_accepted(std::function<void(const std::string&)> wake) { impl_->wake = std::move(wake); }
const outbox_limits& outbox::limits() const noexcept { return impl_->limits; }

void outbox::finalise_leftovers() {
  std::vector<std::int64_t> ids;
  {
    // Ours only: another process finalises its own (hold() makes a vanished owner's ours).
    database::statement q(impl_->db,
                          "SELECT id FROM outbox_messages m WHERE open_deliveries <= 0 AND NOT EXISTS (SELECT 1 FROM "
                          "outbox_deliveries d WHERE d.message_id = m.id AND d.owner != ?) ORDER BY id");
    q.bind(1, impl_->limits.owner);
    while (q.step()) ids.push_back(q.integer(0));
  }
  for (auto id : ids) {
    std::optional<final_message> f;
    try {
      f = impl_->load_final(id);
    } catch (const std::exception& e) {
      impl_->finalise_failed(id, e);
    }
    if (f) impl_->finalise(*f);
  }
}

// accept() and record() are plain functions returning the coroutine: a caller's braced list is
// built into a vector here, never passed to a coroutine parameter (GCC 12 destroys such a
// temporary twice).
asio::awaitable<std::int64_t> outbox::accept(message m, std::vector<std::string> sinks, std::function<void()> also) {
  return accept_coroutine(impl_, std::move(m), std::move(sinks), std::move(also));
}

asio::awaitable<void> outbox::record(std::vector<outbox_result> results) { return record_coroutine(impl_, std::move(results)); }

asio::awaitable<std::int64_t> outbox::accept_coroutine(std::shared_ptr<impl> s, message m, std::vector<std::string> sinks,
                                                       std::function<void()> also) {
  if (sinks.empty()) co_return 0;
  while (s->stats.pending + s->queued_deliveries + sinks.size() > s->limits.max_pending && s->stats.pending > 0) {
    ++s->stats.full_waits;
    if (!s->full_logged && s->log)
      s->log(severity::warn, fmt::format("outbox full ({} deliveries pending, outbox.max_pending): accepting waits until "
                                         "sinks catch up (backpressure)",
                                         s->stats.pending));
    s->full_logged = true;
    co_await s->room.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  s->queued_deliveries += sinks.size();
  auto w = s->enqueue(accept_op{std::move(m), std::move(sinks), std::move(also)});
  co_await wait_for(w);
  co_return w->value;
}

// Two steps: the due ids come from the index alone, so rows in flight are skipped before any
// payload is read (a driver with 8 requests out would otherwise read 80 payloads to take 10).
std::vector<entry> outbox::due(const std::string& sink, std::int64_t now, std::size_t limit,
                               const std::set<std::int64_t>& in_flight) {
  std::vector<std::int64_t> ids;
  database::transaction snapshot(impl_->db, database::transaction::mode::read);
  {
    database::statement q(impl_->db,
                          "SELECT id FROM outbox_deliveries WHERE owner = ? AND sink = ? AND state = 0 AND next_attempt_ms <= ? "
                          "ORDER BY next_attempt_ms, id LIMIT ?");
    q.bind(1, impl_->limits.owner).bind(2, sink).bind(3, now).bind(4, static_cast<std::int64_t>(limit + in_flight.size()));
    while (ids.size() < limit && q.step())
      if (auto id = q.integer(0); !in_flight.contains(id)) ids.push_back(id);
  }
  std::vector<entry> out;
  out.reserve(ids.size());
  database::statement q(impl_->db,
                        "SELECT d.message_id, d.attempts, m.key, m.idempotency_key, m.conversation_id, m.kind, m.payload, "
                        "m.created_ms FROM outbox_deliveries d JOIN outbox_messages m ON m.id = d.message_id WHERE d.id = ?");
  for (auto id : ids) {
    q.bind(1, id);
    if (q.step())
      out.push_back({id, q.integer(0), {q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)}, static_cast<int>(q.integer(1)),
                     q.integer(7)});
    q.reset();
  }
  snapshot.commit();
  return out;
}

std::optional<std::int64_t> outbox::next_due_ms(const std::string& sink) {
  database::statement q(impl_->db,
                        "SELECT MIN(next_attempt_ms) FROM outbox_deliveries WHERE owner = ? AND sink = ? AND state = 0");
  q.bind(1, impl_->limits.owner).bind(2, sink);
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return q.integer(0);
}

asio::awaitable<std::size_t> outbox::hold() { return lease_coroutine(impl_, false); }
asio::awaitable<void> outbox::release() {
  co_await lease_coroutine(impl_, true);
}

asio::awaitable<std::size_t> outbox::lease_coroutine(std::shared_ptr<impl> s, bool release) {
  auto w = s->enqueue(lease_op{release});
  co_await wait_for(w);
  co_return static_cast<std::size_t>(w->value);
}

asio::awaitable<void> outbox::record_coroutine(std::shared_ptr<impl> s, std::vector<outbox_result> results) {
  if (results.empty()) co_return;
  auto w = s->enqueue(results_op{std::move(results)});  // apart: a braced temporary in an awaited expression is destroyed twice (GCC 12)
  co_await wait_for(w);
}

std::map<std::string, std::size_t> outbox::pending_by_sink() const {
  std::map<std::string, std::size_t> out;
  database::statement q(impl_->db, "SELECT sink, COUNT(*) FROM outbox_deliveries WHERE state = 0 GROUP BY sink");
  while (q.step()) out[q.text(0)] = static_cast<std::size_t>(q.integer(1));
  return out;
}

outbox_stats outbox::stats() const {
  auto s = impl_->stats;
  database::statement q(impl_->db, "SELECT created_ms FROM outbox_messages WHERE open_deliveries > 0 ORDER BY id LIMIT 1");
  if (q.step() && !q.is_null(0)) s.oldest_pending_ms = q.integer(0);
  return s;
}

}  // namespace grm::delivery
