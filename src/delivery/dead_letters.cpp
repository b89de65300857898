#include "delivery/dead_letters.hpp"

#include <algorithm>

#include "delivery/database.hpp"

namespace grm::delivery {

namespace {

constexpr const char* kColumns =
    "id, sink, key, idempotency_key, conversation_id, kind, payload, error_kind, status, code, message, attempts, "
    "accepted_ms, dead_ms, replayed_ms";

dead_letter row(const database::statement& q) {
  dead_letter d;
  d.id = q.integer(0);
  d.sink = q.text(1);
  d.key = q.text(2);
  d.idempotency_key = q.text(3);
  d.conversation_id = q.text(4);
  d.kind = q.text(5);
  d.payload = q.text(6);
  d.error_kind = q.text(7);
  d.status = static_cast<unsigned>(q.integer(8));
  d.code = q.text(9);
  d.message = q.text(10);
  d.attempts = static_cast<int>(q.integer(11));
  d.accepted_ms = q.integer(12);
  d.dead_ms = q.integer(13);
  if (!q.is_null(14)) d.replayed_ms = q.integer(14);
  return d;
}

bool matches(const dead_letter& d, const dead_letter_filter& f) {
  if (!f.ids.empty() && std::find(f.ids.begin(), f.ids.end(), d.id) == f.ids.end()) return false;
  if (!f.sink.empty() && d.sink != f.sink) return false;
  if (!f.include_replayed && d.replayed_ms) return false;
  if (f.dead_before_ms && d.dead_ms >= f.dead_before_ms) return false;
  return true;
}

}  // namespace

dead_letters::dead_letters(database& db) : db_(db) {}

// Filtering in C++ keeps one prepared statement; dead letters are few (they are what went wrong).
std::vector<dead_letter> dead_letters::list(const dead_letter_filter& f) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM dead_letters ORDER BY id";
  database::statement q(db_, sql.c_str());
  std::vector<dead_letter> out;
  while (q.step() && out.size() < f.limit) {
    auto d = row(q);
    if (matches(d, f)) out.push_back(std::move(d));
  }
  return out;
}

std::optional<dead_letter> dead_letters::get(std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kColumns + " FROM dead_letters WHERE id = ?";
  database::statement q(db_, sql.c_str());
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return row(q);
}

std::size_t dead_letters::purge(const dead_letter_filter& f) {
  auto f_all = f;
  f_all.limit = static_cast<std::size_t>(-1);
  auto victims = list(f_all);
  database::transaction tx(db_);
  for (auto& d : victims) {
    database::statement del(db_, "DELETE FROM dead_letters WHERE id = ?");
    del.bind(1, d.id).run();
  }
  tx.commit();
  return victims.size();
}

void dead_letters::mark_replayed(std::int64_t id) {
  database::statement up(db_, "UPDATE dead_letters SET replayed_ms = ? WHERE id = ?");
  up.bind(1, now_ms()).bind(2, id).run();
}

std::size_t dead_letters::count() {
  database::statement q(db_, "SELECT COUNT(*) FROM dead_letters WHERE replayed_ms IS NULL");
  if (!q.step()) db_.fail();
  return static_cast<std::size_t>(q.integer(0));
}

}  // namespace grm::delivery
