#pragma once
// Durable "done once" keys (SQLite, WAL): a conversation is forwarded once per trigger even
// across restarts and duplicate events. A key is begun with the forwardingId it will use (a crash
// mid-way resumes with the same id, so downstream de-duplication by forwardingId holds) and
// finished with its outcome; outcomes worth trying again later are forgotten instead.
// It also keeps audit records the audit log could not take (disk full), in order, until they
// are written. Behind this small interface a JetStream KV bucket can later replace SQLite.
//
// It lives in the relay's state database (delivery/database.hpp), whose errors it throws:
// relay_error(config) when it cannot be opened, relay_error(storage) for any later failure.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delivery/database.hpp"

namespace grm::delivery {

class idempotency_store final {
 public:
  explicit idempotency_store(database& db);  // `db` must outlive the store
  // A store with a database of its own: ":memory:" for none.
  explicit idempotency_store(const std::string& path, std::chrono::milliseconds busy_timeout = std::chrono::seconds{5});
  ~idempotency_store();
  idempotency_store(const idempotency_store&) = delete;
  idempotency_store& operator=(const idempotency_store&) = delete;

  struct entry {
    bool done = false;            // finished before
    bool accepted = false;        // in the outbox: its deliveries finish it
    std::string forwarding_id;    // the id it was begun with
    std::string outcome;          // when done
    std::int64_t updated_ms = 0;  // ms since the epoch: when begun (pending) or finished (done)
  };
  // Records `key` as in progress with `forwarding_id` unless it exists; returns what is stored.
  entry begin(const std::string& key, const std::string& forwarding_id);
  void finish(const std::string& key, const std::string& outcome);
  // The forward's message is in the outbox (call inside the outbox's accept transaction): the key
  // is no longer pending (nothing to redo after a restart) and is finished when the message is.
  void mark_accepted(const std::string& key);
  void forget(const std::string& key);
  std::optional<entry> find(const std::string& key);
  // Keys begun but neither accepted, finished nor forgotten (queued or running when the process
  // stopped), oldest first.
  std::vector<std::string> pending();
  // Deletes finished keys last written before `cutoff` (ms since the epoch); returns how many.
  // A replay older than the retention forwards again: the retention bounds the database.
  std::size_t prune_finished_before(std::int64_t cutoff_ms);

  // Named points in time (ms since the epoch): "streams connected up to" for backfill.
  std::optional<std::int64_t> checkpoint(const std::string& name);
  void set_checkpoint(const std::string& name, std::int64_t ms);

  // The audit backlog, oldest first.
  void keep_audit_line(std::string_view line);
  std::vector<std::pair<std::int64_t, std::string>> audit_backlog(std::size_t limit);
  void drop_audit_line(std::int64_t id);
  std::size_t audit_backlog_size();
  const std::string& path() const noexcept { return db_.path(); }
  database& db() noexcept { return db_; }

 private:
  std::unique_ptr<database> owned_;  // only when constructed from a path
  database& db_;
};

}  // namespace grm::delivery
