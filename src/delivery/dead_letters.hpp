#pragma once
// The dead letters the outbox wrote (a delivery rejected, or still failing at outbox.max_age_h):
// the payload, the sink, the error kind, the remote status/code/message, attempts and times —
// read, purged and marked replayed here; a replay goes back through the outbox with the same
// forwardingId (forwarding_service::replay).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grm::delivery {

class database;

struct dead_letter {
  std::int64_t id = 0;
  std::string sink, key, idempotency_key, conversation_id, kind, payload;
  std::string error_kind, code, message;
  unsigned status = 0;
  int attempts = 0;
  std::int64_t accepted_ms = 0, dead_ms = 0;
  std::optional<std::int64_t> replayed_ms;
};

struct dead_letter_filter {
  std::vector<std::int64_t> ids;     // empty: any
  std::string sink;                  // empty: any
  bool include_replayed = false;
  std::int64_t dead_before_ms = 0;   // 0: any age
  std::size_t limit = 1000;
};

class dead_letters final {
 public:
  explicit dead_letters(database& db);  // the outbox creates the table; `db` must outlive this
  std::vector<dead_letter> list(const dead_letter_filter& f);
  std::optional<dead_letter> get(std::int64_t id);
  std::size_t purge(const dead_letter_filter& f);  // returns how many were deleted
  void mark_replayed(std::int64_t id);             // call inside the replay's accept transaction
  std::size_t count();

 private:
  database& db_;
};

}  // namespace grm::delivery
