#include "delivery/idempotency_store.hpp"

#include <sqlite3.h>

#include <chrono>

#include "core/error.hpp"

namespace grm::delivery {

namespace {

// A cached prepared statement in use: bind, step, read; reset when the scope ends.
struct statement {
  explicit statement(sqlite3_stmt* stmt) : s(stmt) {}
  ~statement() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  std::string text(int col) const {
    auto* p = sqlite3_column_text(s, col);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string{};
  }
  sqlite3_stmt* s;
};

std::string now_text() {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

idempotency_store::idempotency_store(const std::string& path, std::chrono::milliseconds busy_timeout) : path_(path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw relay_error(error_kind::config, "cannot open the state database " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS forwarded (key TEXT PRIMARY KEY, forwarding_id TEXT NOT NULL, "
         "done INTEGER NOT NULL DEFAULT 0, outcome TEXT, updated_ms INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS audit_backlog (id INTEGER PRIMARY KEY AUTOINCREMENT, line TEXT NOT NULL)");
  } catch (const relay_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw relay_error(error_kind::config, std::string(e.what()) + " (the relay cannot start without its state database)");
  }
}

void idempotency_store::fail() const {
  throw relay_error(error_kind::storage, "state database " + path_ + ": " + sqlite3_errmsg(db_));
}

idempotency_store::~idempotency_store() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

sqlite3_stmt* idempotency_store::prepared(const char* sql) {
  auto& stmt = statements_[sql];
  if (!stmt && sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail();
  return stmt;
}

void idempotency_store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw relay_error(error_kind::storage, "state database " + path_ + ": " + why);
  }
}

std::optional<idempotency_store::entry> idempotency_store::find(const std::string& key) {
  statement q(prepared("SELECT done, forwarding_id, outcome, updated_ms FROM forwarded WHERE key = ?"));
  q.bind(1, key);
  int rc = sqlite3_step(q.s);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) fail();
  return entry{sqlite3_column_int(q.s, 0) != 0, q.text(1), q.text(2), sqlite3_column_int64(q.s, 3)};
}

idempotency_store::entry idempotency_store::begin(const std::string& key, const std::string& forwarding_id) {
  statement ins(prepared("INSERT OR IGNORE INTO forwarded (key, forwarding_id, updated_ms) VALUES (?, ?, ?)"));
  ins.bind(1, key).bind(2, forwarding_id).bind(3, now_text());
  if (sqlite3_step(ins.s) != SQLITE_DONE) fail();
  return *find(key);
}

void idempotency_store::finish(const std::string& key, const std::string& outcome) {
  statement up(prepared("UPDATE forwarded SET done = 1, outcome = ?, updated_ms = ? WHERE key = ?"));
  up.bind(1, outcome).bind(2, now_text()).bind(3, key);
  if (sqlite3_step(up.s) != SQLITE_DONE) fail();
}

std::vector<std::string> idempotency_store::pending() {
  statement q(prepared("SELECT key FROM forwarded WHERE done = 0 ORDER BY updated_ms, rowid"));
  std::vector<std::string> keys;
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) keys.push_back(q.text(0));
  if (rc != SQLITE_DONE) fail();
  return keys;
}

std::size_t idempotency_store::prune_finished_before(std::int64_t cutoff_ms) {
  statement del(prepared("DELETE FROM forwarded WHERE done = 1 AND updated_ms < ?"));
  sqlite3_bind_int64(del.s, 1, cutoff_ms);
  if (sqlite3_step(del.s) != SQLITE_DONE) fail();
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

void idempotency_store::forget(const std::string& key) {
  statement del(prepared("DELETE FROM forwarded WHERE key = ?"));
  del.bind(1, key);
  if (sqlite3_step(del.s) != SQLITE_DONE) fail();
}

void idempotency_store::keep_audit_line(std::string_view line) {
  statement ins(prepared("INSERT INTO audit_backlog (line) VALUES (?)"));
  sqlite3_bind_text(ins.s, 1, line.data(), static_cast<int>(line.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(ins.s) != SQLITE_DONE) fail();
}

std::vector<std::pair<std::int64_t, std::string>> idempotency_store::audit_backlog(std::size_t limit) {
  statement q(prepared("SELECT id, line FROM audit_backlog ORDER BY id LIMIT ?"));
  sqlite3_bind_int64(q.s, 1, static_cast<sqlite3_int64>(limit));
  std::vector<std::pair<std::int64_t, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) out.emplace_back(sqlite3_column_int64(q.s, 0), q.text(1));
  if (rc != SQLITE_DONE) fail();
  return out;
}

void idempotency_store::drop_audit_line(std::int64_t id) {
  statement del(prepared("DELETE FROM audit_backlog WHERE id = ?"));
  sqlite3_bind_int64(del.s, 1, id);
  if (sqlite3_step(del.s) != SQLITE_DONE) fail();
}

std::size_t idempotency_store::audit_backlog_size() {
  statement q(prepared("SELECT COUNT(*) FROM audit_backlog"));
  if (sqlite3_step(q.s) != SQLITE_ROW) fail();
  return static_cast<std::size_t>(sqlite3_column_int64(q.s, 0));
}

}  // namespace grm::delivery
