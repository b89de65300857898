#include "delivery/idempotency_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "core/error.hpp"

namespace grm::delivery {
namespace {

std::string temp_db(const char* name) {
  auto p = std::filesystem::temp_directory_path() / (std::string("grm-state-") + std::to_string(::getpid()) + "-" + name + ".db");
  std::filesystem::remove(p);
  std::filesystem::remove(p.string() + "-wal");
  std::filesystem::remove(p.string() + "-shm");
  return p.string();
}

TEST(IdempotencyStore, BeginKeepsTheFirstForwardingIdAndFinishIsDurable) {
  auto path = temp_db("durable");
  {
    idempotency_store s(path);
    auto first = s.begin("c1:conversation-end", "fwd-1");
    EXPECT_FALSE(first.done);
    EXPECT_EQ(first.forwarding_id, "fwd-1");
    EXPECT_EQ(s.begin("c1:conversation-end", "fwd-2").forwarding_id, "fwd-1") << "a resumed key keeps its id";
    s.finish("c1:conversation-end", "forwarded");
  }
  idempotency_store reopened(path);
  auto e = reopened.begin("c1:conversation-end", "fwd-3");
  EXPECT_TRUE(e.done);
  EXPECT_EQ(e.outcome, "forwarded");
  EXPECT_EQ(e.forwarding_id, "fwd-1");
}

TEST(IdempotencyStore, PendingListsBegunKeysNotFinishedOrForgottenAcrossAReopen) {
  auto path = temp_db("pending");
  {
    idempotency_store s(path);
    s.begin("a:conversation-end", "1");
    s.begin("b:conversation-end", "2");
    s.begin("c:conversation-end", "3");
    s.begin("d:periodic-7", "4");
    s.finish("b:conversation-end", "forwarded");
    s.forget("c:conversation-end");
  }
  idempotency_store s(path);
  EXPECT_EQ(s.pending(), (std::vector<std::string>{"a:conversation-end", "d:periodic-7"}));
  EXPECT_FALSE(s.find("c:conversation-end").has_value());
}

TEST(IdempotencyStore, PruningDropsOnlyFinishedKeysOlderThanTheCutoff) {
  idempotency_store s(":memory:");
  s.begin("old:conversation-end", "1");
  s.finish("old:conversation-end", "forwarded");
  s.begin("pending:conversation-end", "2");
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_EQ(s.prune_finished_before(now_ms - 60'000), 0u) << "written just now: kept";
  EXPECT_EQ(s.prune_finished_before(now_ms + 60'000), 1u);
  EXPECT_FALSE(s.find("old:conversation-end").has_value());
  EXPECT_EQ(s.pending(), (std::vector<std::string>{"pending:conversation-end"})) << "pending keys are never pruned";
}

TEST(IdempotencyStore, AnUnopenablePathIsAConfigErrorNamingIt) {
  try {
    idempotency_store s("/nonexistent-dir/grm/state.db");
    ADD_FAILURE() << "opened";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_NE(std::string(e.what()).find("cannot open the state database /nonexistent-dir/grm/state.db"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace grm::delivery
