#pragma once
// The relay's one state database (SQLite, WAL, file mode 0600): idempotency keys, the outbox,
// dead letters, stream checkpoints and kept audit records share one file and one connection, so
// a forward's state and its deliveries change in one transaction.
//
// Errors: opening throws relay_error(config) naming the path (the relay cannot start without its
// state); every later failure throws relay_error(storage) naming the path and SQLite's message.
// Threading: one executor (the connection is not shared across threads).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace grm::delivery {

enum class durability : std::uint8_t {
  normal,  // WAL + synchronous=NORMAL: survives a crash of the process (kill -9); the last
           // commits may roll back on power loss
  full,    // synchronous=FULL: every commit is on disk before it returns
};
std::string_view to_string(durability d) noexcept;

class database final {
 public:
  // ":memory:" for none. A write waits up to `busy_timeout` for another writer's lock.
  explicit database(const std::string& path, durability d = durability::normal,
                    std::chrono::milliseconds busy_timeout = std::chrono::seconds{5});
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // A cached prepared statement in use: bind, step, read; reset and unbound when it goes.
  class statement final {
   public:
    statement(database& db, const char* sql);
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    statement& bind(int i, std::string_view v);
    statement& bind(int i, std::int64_t v);
    statement& bind_null(int i);
    bool step();  // true: a row is ready; false: done. Throws relay_error(storage) otherwise.
    void run();   // step() to the end
    void reset();  // back to the start, bindings cleared: the statement runs again
    std::string text(int col) const;
    std::int64_t integer(int col) const;
    bool is_null(int col) const;

   private:
    database& db_;
    sqlite3_stmt* s_;
  };

  // BEGIN IMMEDIATE ... COMMIT; ROLLBACK when destroyed uncommitted. Not nested.
  // A write transaction (BEGIN IMMEDIATE), or with `read` a read transaction: one snapshot and
  // one lock for several statements (each statement outside a transaction takes and drops its own
  // locks: fcntl calls were a tenth of the outbox's CPU).
  class transaction final {
   public:
    enum class mode : std::uint8_t { write, read };
    explicit transaction(database& db, mode m = mode::write);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();

   private:
    database& db_;
    bool done_ = false;
  };

  void exec(const char* sql);
  std::int64_t last_insert_id() const;
  std::int64_t changes() const;
  const std::string& path() const noexcept { return path_; }
  bool in_memory() const noexcept { return path_ == ":memory:"; }
  [[noreturn]] void fail() const;  // relay_error(storage) with SQLite's message

 private:
  sqlite3_stmt* prepared(const char* sql);  // compiled once per connection
  sqlite3* db_ = nullptr;
  std::map<const char*, sqlite3_stmt*> statements_;  // keyed by the SQL literal's address
  std::string path_;
};

std::int64_t now_ms();  // ms since the epoch (system clock)

}  // namespace grm::delivery
