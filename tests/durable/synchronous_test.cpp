// SqliteOptions.synchronous reaches every connection the engine commits on: the one it was opened
// with and each one a new thread opens.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <thread>

#include "durable_support.h"
#include "support/engines.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

// PRAGMA synchronous as the connection that commits a checkpoint sees it: 1 NORMAL, 2 FULL; -1 when
// the checkpoint failed. No assertion here: it runs on threads other than the test's.
int synchronous_of_checkpoint(Engine& engine, const Job& job) {
  int level = -1;
  Status s = engine.job_checkpoint({.id = job.id,
                                    .token = job.lease->token,
                                    .now = kNow,
                                    .checkpoint = {{"step", 1}},
                                    .in_transaction = [&](Transaction& tx) {
                                      level = tx.sqlite()->execAndGet("PRAGMA synchronous").getInt();
                                    }});
  return s.is_ok() ? level : -1;
}

}  // namespace

TEST_CASE("every connection of a durable engine commits with the synchronous level it was opened with") {
  const auto [synchronous, level] =
      GENERATE(std::pair{Synchronous::normal, 1}, std::pair{Synchronous::full, 2});
  TempDir dir;
  SqliteOptions options;
  options.path = dir.file("jobs.db");
  options.synchronous = synchronous;
  auto engine = open_sqlite_engine(options);
  REQUIRE(engine.is_ok());
  testing::insert_job(**engine, testing::echo_job(), kNow);
  testing::insert_job(**engine, testing::echo_job(), kNow);
  const std::vector<Job> jobs = testing::claim_jobs(**engine, kNow, 2);
  REQUIRE(jobs.size() == 2);

  CHECK(synchronous_of_checkpoint(**engine, jobs[0]) == level);
  int on_new_thread = -1;
  std::thread([&] { on_new_thread = synchronous_of_checkpoint(**engine, jobs[1]); }).join();
  CHECK(on_new_thread == level);
}
