#pragma once
// The outbox: what the relay has accepted and not yet delivered, durable in the state database.
// A message (its payload written once) is accepted with one delivery per target sink, in one
// transaction; from then on it is delivered or dead-lettered with its reason, whatever happens to
// the process. Each sink's deliveries advance independently (a dead sink never holds another
// back). When every delivery of a message is final the message is final: the caller's finaliser
// sees what each sink did (the audit record, the idempotency key), then the message is dropped.
//
// Writes are group-committed: accept() and the results of a request queue up and go to SQLite in
// one transaction per turn of the event loop, and each caller resumes once its write is durable.
// The outbox is bounded (max_pending deliveries): accept() waits while it is full (backpressure:
// triggers stay pending upstream) and says so once in the log and in a metric.
//
// This is the seam a JetStream stream can later take over: accept = publish with the message id
// as Nats-Msg-Id, due = a pull consumer per sink, result = ack / nak with delay / term.
//
// Threading: one executor; every member runs on it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"

namespace grm::delivery {

class database;

// One accepted thing to deliver. `kind` says what the payload is ("sentiment", "alert",
// "lifecycle"); a sink encodes by it.
struct message {
  std::string key;              // what it belongs to ("<conversationId>:<trigger>"); finalisation reports it
  std::string idempotency_key;  // consumers de-duplicate by it (the forwardingId)
  std::string conversation_id;
  std::string kind;
  std::string payload;          // JSON
};

// A delivery as a sink sees it.
struct entry {
  std::int64_t delivery_id = 0;
  std::int64_t message_id = 0;
  message msg;
  int attempts = 0;             // made before this one
  std::int64_t accepted_ms = 0;
};

enum class delivery_state : std::uint8_t { pending, delivered, dead_lettered };
std::string_view to_string(delivery_state s) noexcept;

// Why a delivery was dead-lettered, as the dead-letter table keeps it.
struct dead_letter_reason {
  error_kind kind = error_kind::client;
  unsigned status = 0;     // the remote HTTP status, 0 when there was none
  std::string code;        // the remote's code (ThrottlingException, HTTP400) or ours (MaxAgeExceeded)
  std::string message;     // bounded, masked excerpt
};

// What happened to one delivery of a final message.
struct delivery_outcome {
  std::string sink;
  delivery_state state = delivery_state::pending;
  std::string detail;  // the sink's id for it (EventId, "HTTP 200") or the dead-letter reason
  int attempts = 0;
};

struct final_message {
  std::int64_t message_id = 0;
  std::int64_t accepted_ms = 0;
  message msg;
  std::vector<delivery_outcome> outcomes;
};

// The result of one delivery attempt, as the driver records it.
struct outbox_result {
  std::int64_t delivery_id = 0;
  delivery_state state = delivery_state::pending;  // pending: try again at next_attempt_ms
  std::string detail;                               // the sink's id when delivered, the error when retried
  std::int64_t next_attempt_ms = 0;
  dead_letter_reason reason;                        // when dead-lettered

  static outbox_result delivered(std::int64_t id, std::string detail) {
    return {id, delivery_state::delivered, std::move(detail), 0, {}};
  }
  static outbox_result retry(std::int64_t id, std::int64_t next_ms, std::string error) {
    return {id, delivery_state::pending, std::move(error), next_ms, {}};
  }
  static outbox_result dead(std::int64_t id, dead_letter_reason why) {
    return {id, delivery_state::dead_lettered, {}, 0, std::move(why)};
  }
};

struct outbox_limits {
  std::size_t max_pending = 1'000'000;              // deliveries not yet final
  std::chrono::milliseconds max_age{96 * 3600'000};  // then a dead letter (the native integration's 4 days)
  // Who delivers what this outbox accepts (see hold()). The daemon's is stable across restarts,
  // so a restarted monitor resumes its rows at once; a one-shot command's is its own.
  std::string owner = "relay";
  std::chrono::milliseconds lease{60'000};  // an owner that stops renewing loses its rows after this
};

struct outbox_stats {
  std::uint64_t accepted = 0, delivered = 0, dead_lettered = 0, retried = 0;
  std::uint64_t full_waits = 0;    // accept() calls that waited for room
  std::uint64_t commits = 0;       // group commits
  std::uint64_t rows_committed = 0;
  std::size_t pending = 0;         // deliveries not final
  std::int64_t oldest_pending_ms = 0;  // accepted_ms of the oldest, 0 when none
};

class outbox final {
 public:
  using finaliser = std::function<void(const final_message&)>;

  // Creates its tables in `db`, which must outlive it. The finaliser runs after the commit that
  // made a message final, and again after a restart for messages it did not get to drop.
  outbox(boost::asio::any_io_executor executor, database& db, outbox_limits limits, log_fn log = {});
  ~outbox();
  outbox(const outbox&) = delete;
  outbox& operator=(const outbox&) = delete;

  void on_final(finaliser f);
  // Whether anyone looks at a final message of this kind (and id). A message nobody looks at is
  // dropped in the transaction that makes it final, instead of being read back, handed to the
  // finaliser and deleted by a later write. Unset: every message goes to the finaliser, if any.
  void observes(std::function<bool(const std::string& kind, std::int64_t message_id)> f);
  // Messages final before the last stop that the finaliser did not finish: finalises them now.
  void finalise_leftovers();

  // Durable when it returns. Waits while the outbox is full. An empty `sinks` accepts nothing.
  // `in_same_transaction` (optional) runs inside the commit that writes the message: the
  // caller's own state (the idempotency key's "accepted") changes atomically with it.
  boost::asio::awaitable<std::int64_t> accept(message m, std::vector<std::string> sinks,
                                              std::function<void()> in_same_transaction = {});

  // Due deliveries of one sink, oldest first, not in `in_flight`.
  std::vector<entry> due(const std::string& sink, std::int64_t now_ms, std::size_t limit,
                         const std::set<std::int64_t>& in_flight);
  std::optional<std::int64_t> next_due_ms(const std::string& sink);  // earliest pending, if any

  // Several processes may share one state file: a running monitor and a one-shot `forward` or
  // `dlq replay`. Each delivers only the rows it owns (those it accepted), so the process waiting
  // for a message's outcome is the one that records it. hold() renews this owner's lease and
  // takes over the rows (pending or final and not yet finalised) of owners whose lease lapsed, or
  // who released it; it returns how many it took. Call it at start and every lease / 3.
  boost::asio::awaitable<std::size_t> hold();
  boost::asio::awaitable<void> release();  // at a clean stop: another process may take the rows now

  // Results of a request, group-committed with whatever else is queued; resumes once durable.
  boost::asio::awaitable<void> record(std::vector<outbox_result> results);

  // Called when deliveries for a sink are accepted (its driver wakes up).
  void on_accepted(std::function<void(const std::string& sink)> wake);

  outbox_stats stats() const;
  std::map<std::string, std::size_t> pending_by_sink() const;  // deliveries not final, by sink id
  const outbox_limits& limits() const noexcept;

 private:
  struct impl;
  static boost::asio::awaitable<std::int64_t> accept_coroutine(std::shared_ptr<impl> s, message m,
                                                               std::vector<std::string> sinks, std::function<void()> also);
  static boost::asio::awaitable<void> record_coroutine(std::shared_ptr<impl> s, std::vector<outbox_result> results);
  static boost::asio::awaitable<std::size_t> lease_coroutine(std::shared_ptr<impl> s, bool release);
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::delivery
