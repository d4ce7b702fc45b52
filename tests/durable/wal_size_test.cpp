// The WAL file of a durable engine stays bounded: a reader that holds an old snapshot makes it grow,
// since no checkpoint can start the WAL over while the reader may need its frames, and once the
// reader is done the WAL starts over and the file is cut back.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "durable_support.h"
#include "support/engines.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;
// The size the engine's connections truncate the WAL file back to (journal_size_limit).
constexpr std::int64_t kWalLimit = 4 * 1024 * 1024;

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// Inserts batches of jobs with about 1 KB of args each until the WAL file is larger than `size`.
void grow_wal_past(Engine& engine, const std::string& wal, std::int64_t size) {
  const std::string padding(1000, 'x');
  for (int batch = 0; batch < 1000 && file_size(wal) <= size; ++batch) {
    std::vector<NewJob> jobs;
    for (int i = 0; i < 50; ++i) jobs.push_back(testing::echo_job({{"batch", batch}, {"padding", padding}}));
    REQUIRE(engine.job_insert_many(jobs, kNow).is_ok());
  }
}

}  // namespace

TEST_CASE("a WAL grown past its limit while a reader held an old snapshot is cut back once the reader ends") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  const std::string wal = path + "-wal";
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job(), kNow);

  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  reader.exec("BEGIN");
  CHECK(reader.execAndGet("SELECT count(*) FROM jobs").getInt() == 1);
  grow_wal_past(*engine, wal, 3 * kWalLimit);
  const std::int64_t grown = file_size(wal);
  REQUIRE(grown > 3 * kWalLimit);
  reader.exec("COMMIT");

  // The first commit after the reader ends asks the engine's checkpointer thread to copy the whole
  // WAL back; once it has, the next commit starts the WAL over and cuts the file back. The commits
  // go on until then, with a deadline instead of a sleep.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int commits = 0;
  while (file_size(wal) > kWalLimit && std::chrono::steady_clock::now() < deadline) {
    testing::insert_job(*engine, testing::echo_job(), kNow);
    ++commits;
  }
  INFO("the WAL had grown to " << grown << " bytes; " << commits << " commits after the reader ended");
  CHECK(file_size(wal) <= kWalLimit);
}

TEST_CASE("a durable engine checkpoints its WAL on its own thread, so the WAL stays near its threshold") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  const std::string wal = path + "-wal";
  auto engine = testing::open_durable_engine(path);
  // About 12 MiB of jobs, three times the size at which SQLite's own checkpoint would start.
  grow_wal_past(*engine, path, 12 * 1024 * 1024);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (file_size(wal) > kWalLimit && std::chrono::steady_clock::now() < deadline) {
    testing::insert_job(*engine, testing::echo_job(), kNow);
  }
  INFO("database " << file_size(path) << " bytes, WAL " << file_size(wal) << " bytes");
  CHECK(file_size(path) > 12 * 1024 * 1024);  // the jobs reached the database file
  CHECK(file_size(wal) <= kWalLimit);
}
