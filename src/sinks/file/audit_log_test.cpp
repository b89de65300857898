// The audit log and its durable backlog against real files: /dev/full (ENOSPC on every write)
// and a path that is a symlink to it, replaced by a regular file to "free the disk".
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "delivery/idempotency_store.hpp"
#include "sinks/file/audit_log.hpp"
#include "sinks/file/audit_trail.hpp"

namespace grm::sinks::file {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("grm-audit-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  temp_dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string contents(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AuditLog, AppendsOneLinePerRecordInAFileOnlyItsOwnerCanRead) {
  temp_dir d;
  auto path = (d.path / "audit.jsonl").string();
  audit_log log({path, 1 << 20, 2});
  log.write(R"({"n":1})");
  log.write(R"({"n":2})");
  EXPECT_EQ(contents(path), "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST(AuditLog, RotatesBySizeKeepingTheConfiguredNumberOfFiles) {
  temp_dir d;
  auto path = (d.path / "audit.jsonl").string();
  audit_log log({path, 20, 2});
  for (int i = 0; i < 5; ++i) log.write(R"({"n":)" + std::to_string(i) + "0000}");  // 12 bytes a line
  EXPECT_EQ(contents(path), "{\"n\":40000}\n");
  EXPECT_EQ(contents(path + ".1"), "{\"n\":30000}\n");
  EXPECT_EQ(contents(path + ".2"), "{\"n\":20000}\n");
  EXPECT_FALSE(fs::exists(path + ".3"));
}

TEST(AuditLog, AFailedWriteIsAStorageErrorNamingTheFileAndTheOsError) {
  audit_log log({"/dev/full", 1 << 20, 1});
  try {
    log.write(R"({"n":1})");
    FAIL() << "wrote to /dev/full";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::storage);
    EXPECT_STREQ(e.what(), "cannot write to the audit log /dev/full: No space left on device");
  }
}

TEST(AuditTrail, RecordsTheLogCannotTakeAreKeptDurablyAndWrittenInOrderLater) {
  temp_dir d;
  auto path = (d.path / "audit.jsonl").string();
  auto state = (d.path / "state.db").string();
  fs::create_symlink("/dev/full", path);  // the disk is full
  {
    delivery::idempotency_store store(state);
    audit_log log({path, 1 << 20, 1});
    audit_trail trail(&log, store);
    auto st = trail.record(R"({"n":1})");
    EXPECT_FALSE(st.written);
    EXPECT_EQ(st.error, "cannot write to the audit log " + path + ": No space left on device");
    EXPECT_FALSE(trail.record(R"({"n":2})").written);
    EXPECT_EQ(trail.waiting(), 2u);
    EXPECT_EQ(trail.write_errors(), 2u);
    EXPECT_EQ(trail.flush(), 0u);
    EXPECT_EQ(trail.last_error(), st.error);
  }
  // A restart with the disk still full: the backlog is still there.
  fs::remove(path);
  std::ofstream(path).close();  // space again: the path is a regular, empty file
  delivery::idempotency_store store(state);
  audit_log log({path, 1 << 20, 1});
  audit_trail trail(&log, store);
  EXPECT_EQ(trail.waiting(), 2u) << "kept across the restart";
  auto st = trail.record(R"({"n":3})");
  EXPECT_TRUE(st.written) << st.error;
  EXPECT_EQ(contents(path), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n") << "the backlog first, in order";
  EXPECT_EQ(trail.waiting(), 0u);
  EXPECT_TRUE(trail.last_error().empty());
}

TEST(AuditTrail, FlushPicksUpTheLogOnceItIsWritableAgain) {
  temp_dir d;
  auto path = (d.path / "audit.jsonl").string();
  fs::create_symlink("/dev/full", path);
  delivery::idempotency_store store(":memory:");
  audit_log log({path, 1 << 20, 1});
  audit_trail trail(&log, store);
  EXPECT_FALSE(trail.record(R"({"n":1})").written);
  fs::remove(path);
  EXPECT_EQ(trail.flush(), 1u) << "the path is reopened after a failure";
  EXPECT_EQ(contents(path), "{\"n\":1}\n");
}

}  // namespace
}  // namespace grm::sinks::file
