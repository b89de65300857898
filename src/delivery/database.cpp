#include "delivery/database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"

namespace grm::delivery {

std::string_view to_string(durability d) noexcept { return d == durability::full ? "full" : "normal"; }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

// The file is created 0600 before SQLite opens it: it holds payloads and conversation ids.
void create_private(const std::string& path) {
  if (path == ":memory:" || path.empty()) return;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);  // an error here is reported by sqlite3_open with its own message
}

}  // namespace

database::database(const std::string& path, durability d, std::chrono::milliseconds busy_timeout) : path_(path) {
  create_private(path);
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw relay_error(error_kind::config, "cannot open the state database " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  try {
    exec("PRAGMA journal_mode=WAL");
    exec(d == durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    exec("PRAGMA cache_size=-16384");  // 16 MiB of pages (default 2 MiB): a backlog of 100k rows stays cached
  } catch (const relay_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw relay_error(error_kind::config, std::string(e.what()) + " (the relay cannot start without its state database)");
  }
}

database::~database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void database::fail() const {
  throw relay_error(error_kind::storage, "state database " + path_ + ": " + sqlite3_errmsg(db_));
}

sqlite3_stmt* database::prepared(const char* sql) {
  auto& stmt = statements_[sql];
  if (!stmt && sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail();
  return stmt;
}

void database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw relay_error(error_kind::storage, "state database " + path_ + ": " + why);
  }
}

std::int64_t database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
std::int64_t database::changes() const { return sqlite3_changes(db_); }

database::statement::statement(database& db, const char* sql) : db_(db), s_(db.prepared(sql)) {}

database::statement::~statement() { reset(); }

void database::statement::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

database::statement& database::statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

database::statement& database::statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

database::statement& database::statement::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

bool database::statement::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail();
}

void database::statement::run() {
  while (step()) {
  }
}

std::string database::statement::text(int col) const {
  auto* p = sqlite3_column_text(s_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string{};
}

std::int64_t database::statement::integer(int col) const { return sqlite3_column_int64(s_, col); }
bool database::statement::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

database::transaction::transaction(database& db, mode m) : db_(db) {
  db_.exec(m == mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

database::transaction::~transaction() {
  if (done_) return;
  char* err = nullptr;
  sqlite3_exec(db_.db_, "ROLLBACK", nullptr, nullptr, &err);  // best effort: we are unwinding
  sqlite3_free(err);
}

void database::transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace grm::delivery
