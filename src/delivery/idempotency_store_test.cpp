#include "delivery/idempotency_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include <sqlite3.h>
#include <unistd.h>

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

namespace grm::delivery {
namespace {

TEST(IdempotencyStore, TheAuditBacklogKeepsLinesInOrderUntilDropped) {
  idempotency_store s(":memory:");
  EXPECT_EQ(s.audit_backlog_size(), 0u);
  s.keep_audit_line(R"({"n":1})");
  s.keep_audit_line(R"({"n":2})");
  s.keep_audit_line(R"({"n":3})");
  auto first = s.audit_backlog(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].second, R"({"n":1})");
  EXPECT_EQ(first[1].second, R"({"n":2})");
  s.drop_audit_line(first[0].first);
  EXPECT_EQ(s.audit_backlog_size(), 2u);
  EXPECT_EQ(s.audit_backlog(10).front().second, R"({"n":2})");
}

TEST(IdempotencyStore, AFailureAfterOpeningIsAStorageErrorNamingTheDatabase) {
  auto path = ::testing::TempDir() + "grm-store-readonly-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  idempotency_store s(path, std::chrono::milliseconds{10});
  s.begin("a:conversation-end", "f-1");
  // Another writer holds the database locked past the busy timeout: writes fail, reads go on.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  sqlite3_busy_timeout(other, 0);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  try {
    s.begin("b:conversation-end", "f-2");
    ADD_FAILURE() << "wrote while locked";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::storage);
    EXPECT_EQ(std::string(e.what()), "state database " + path + ": database is locked");
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_FALSE(s.begin("b:conversation-end", "f-2").done) << "usable again once the lock is gone";
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace grm::delivery
