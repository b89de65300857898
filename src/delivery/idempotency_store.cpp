#include "delivery/idempotency_store.hpp"

#include "core/error.hpp"

namespace grm::delivery {

namespace {

void create_tables(database& db) {
  try {
    db.exec("CREATE TABLE IF NOT EXISTS forwarded (key TEXT PRIMARY KEY, forwarding_id TEXT NOT NULL, "
            "done INTEGER NOT NULL DEFAULT 0, outcome TEXT, updated_ms INTEGER NOT NULL)");
    db.exec("CREATE TABLE IF NOT EXISTS audit_backlog (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL)");
    db.exec("CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, ms INTEGER NOT NULL)");
  } catch (const relay_error& e) {
    throw relay_error(error_kind::config, std::string(e.what()) + " (the relay cannot start without its state database)");
  }
}

}  // namespace

idempotency_store::idempotency_store(database& db) : db_(db) { create_tables(db_); }

idempotency_store::idempotency_store(const std::string& path, std::chrono::milliseconds busy_timeout)
    : owned_(std::make_unique<database>(path, durability::normal, busy_timeout)), db_(*owned_) {
  create_tables(db_);
}

idempotency_store::~idempotency_store() = default;

std::optional<idempotency_store::entry> idempotency_store::find(const std::string& key) {
  database::statement q(db_, "SELECT done, forwarding_id, outcome, updated_ms FROM forwarded WHERE key = ?");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  auto state = q.integer(0);  // 0 begun, 1 finished, 2 accepted into the outbox
  return entry{state == 1, state == 2, q.text(1), q.text(2), q.integer(3)};
}

idempotency_store::entry idempotency_store::begin(const std::string& key, const std::string& forwarding_id) {
  database::statement ins(db_, "INSERT OR IGNORE INTO forwarded (key, forwarding_id, updated_ms) VALUES (?, ?, ?)");
  ins.bind(1, key).bind(2, forwarding_id).bind(3, now_ms()).run();
  return *find(key);
}

void idempotency_store::finish(const std::string& key, const std::string& outcome) {
  database::statement up(db_, "UPDATE forwarded SET done = 1, outcome = ?, updated_ms = ? WHERE key = ?");
  up.bind(1, outcome).bind(2, now_ms()).bind(3, key).run();
}

void idempotency_store::mark_accepted(const std::string& key) {
  database::statement up(db_, "UPDATE forwarded SET done = 2, updated_ms = ? WHERE key = ? AND done = 0");
  up.bind(1, now_ms()).bind(2, key).run();
}

std::vector<std::string> idempotency_store::pending() {
  database::statement q(db_, "SELECT key FROM forwarded WHERE done = 0 ORDER BY updated_ms, rowid");
  std::vector<std::string> keys;
  while (q.step()) keys.push_back(q.text(0));
  return keys;
}

std::size_t idempotency_store::prune_finished_before(std::int64_t cutoff_ms) {
  database::statement del(db_, "DELETE FROM forwarded WHERE done = 1 AND updated_ms < ?");
  del.bind(1, cutoff_ms).run();
  return static_cast<std::size_t>(db_.changes());
}

void idempotency_store::forget(const std::string& key) {
  database::statement del(db_, "DELETE FROM forwarded WHERE key = ?");
  del.bind(1, key).run();
}

std::optional<std::int64_t> idempotency_store::checkpoint(const std::string& name) {
  database::statement q(db_, "SELECT ms FROM checkpoints WHERE name = ?");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return q.integer(0);
}

void idempotency_store::set_checkpoint(const std::string& name, std::int64_t ms) {
  database::statement up(db_, "INSERT INTO checkpoints (name, ms) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET ms = excluded.ms");
  up.bind(1, name).bind(2, ms).run();
}

void idempotency_store::keep_audit_line(std::string_view line) {
  database::statement ins(db_, "INSERT INTO audit_backlog (line) VALUES (?)");
  ins.bind(1, line).run();
}

std::vector<std::pair<std::int64_t, std::string>> idempotency_store::audit_backlog(std::size_t limit) {
  database::statement q(db_, "SELECT id, line FROM audit_backlog ORDER BY id LIMIT ?");
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::int64_t, std::string>> out;
  while (q.step()) out.emplace_back(q.integer(0), q.text(1));
  return out;
}

void idempotency_store::drop_audit_line(std::int64_t id) {
  database::statement del(db_, "DELETE FROM audit_backlog WHERE id = ?");
  del.bind(1, id).run();
}

std::size_t idempotency_store::audit_backlog_size() {
  database::statement q(db_, "SELECT COUNT(*) FROM audit_backlog");
  if (!q.step()) db_.fail();
  return static_cast<std::size_t>(q.integer(0));
}

}  // namespace grm::delivery
