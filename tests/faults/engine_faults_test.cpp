// The durable engine when SQLite's writes or syncs fail (tests/support/fault_vfs.h): the failed call
// changes nothing, says what happened, and the same call succeeds once the fault is gone.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "durable/durable_support.h"
#include "support/engines.h"
#include "support/fault_vfs.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {
namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

// A durable engine on a new file, every connection of it through the fault VFS. The fault is
// cleared when the test case ends, whatever happened.
struct FaultyDatabase {
  explicit FaultyDatabase(Synchronous sync = Synchronous::normal)
      : vfs(FaultVfs::install()), path(dir.file("jobs.db")), engine(open(sync)) {}
  ~FaultyDatabase() { vfs.clear(); }

  std::shared_ptr<Engine> open(Synchronous sync) {
    auto opened = open_sqlite_engine({.path = path, .synchronous = sync});
    INFO(opened.status().to_string());
    REQUIRE(opened.is_ok());
    return *opened;
  }

  TempDir dir;
  FaultVfs& vfs;
  std::string path;
  std::shared_ptr<Engine> engine;
};

// Saves checkpoint {"chunk": chunk} and, in the same transaction, the chunk in the worker's own table.
Status save_chunk(Engine& engine, const Job& job, int chunk) {
  return engine.job_checkpoint({.id = job.id,
                                .token = job.lease->token,
                                .now = kNow,
                                .checkpoint = {{"chunk", chunk}},
                                .progress = Progress{chunk, 10},
                                .in_transaction = [&](Transaction& tx) {
                                  tx.sqlite()->exec(
                                      "CREATE TABLE IF NOT EXISTS chunks (job INTEGER, chunk INTEGER)");
                                  SQLite::Statement insert(*tx.sqlite(), "INSERT INTO chunks VALUES (?, ?)");
                                  insert.bind(1, job.id);
                                  insert.bind(2, chunk);
                                  insert.exec();
                                }});
}

std::vector<int> chunks_recorded(const std::string& path) {
  SQLite::Database db(path);
  std::vector<int> chunks;
  SQLite::Statement q(db, "SELECT chunk FROM chunks ORDER BY chunk");
  while (q.executeStep()) chunks.push_back(q.getColumn(0).getInt());
  return chunks;
}

std::size_t job_total(Engine& engine) {
  auto all = engine.job_list({.limit = 1000});
  REQUIRE(all.is_ok());
  return all->size();
}

}  // namespace

TEST_CASE(
    "a completion whose commit fails leaves the job executing under its lease, and completes once after",
    "[faults]") {
  const FaultError error = GENERATE(FaultError::io_error, FaultError::disk_full);
  FaultyDatabase db;
  insert_job(*db.engine, echo_job(), kNow);
  const Job job = claim_job(*db.engine, kNow);
  JobFinishParams done = outcome(job, FinishKind::complete, kNow + 5);
  done.result = {{"answer", 42}};

  db.vfs.arm({.file = FaultFile::wal, .error = error});
  const Status failed = finish_job(*db.engine, done);
  CHECK(db.vfs.failures() >= 1);
  CHECK(failed.code() == (error == FaultError::io_error ? StatusCode::io_error : StatusCode::disk_full));
  CHECK_THAT(failed.message(), Catch::StartsWith("finishing jobs: "));
  if (error == FaultError::disk_full) CHECK_THAT(failed.message(), Catch::Contains("full"));

  const Job held = get_job(*db.engine, job.id);
  CHECK(held.state == JobState::executing);
  REQUIRE(held.lease);
  CHECK(held.lease->token == job.lease->token);
  CHECK(held.result.is_null());
  CHECK_FALSE(held.finished_at);

  db.vfs.clear();
  REQUIRE(finish_job(*db.engine, done) == Status::ok());
  CHECK(finish_job(*db.engine, done).code() == StatusCode::stale_lease);  // recorded once

  db.engine.reset();
  db.engine = db.open(Synchronous::normal);
  const Job completed = get_job(*db.engine, job.id);
  CHECK(completed.state == JobState::completed);
  CHECK(completed.result == json{{"answer", 42}});
  CHECK(completed.attempt == 1);
  CHECK(completed.finished_at == kNow + 5);
}

TEST_CASE("a completion whose sync fails (synchronous = FULL) is reported and leaves the job executing",
          "[faults]") {
  FaultyDatabase db(Synchronous::full);
  insert_job(*db.engine, echo_job(), kNow);
  const Job job = claim_job(*db.engine, kNow);
  JobFinishParams done = outcome(job, FinishKind::complete, kNow + 5);
  done.result = {{"answer", 42}};

  db.vfs.arm({.file = FaultFile::wal, .call = FaultCall::sync});
  const Status failed = finish_job(*db.engine, done);
  CHECK(db.vfs.failures() == 1);
  CHECK(failed.code() == StatusCode::io_error);
  CHECK(get_job(*db.engine, job.id).state == JobState::executing);

  db.vfs.clear();
  REQUIRE(finish_job(*db.engine, done) == Status::ok());
  CHECK(get_job(*db.engine, job.id).result == json{{"answer", 42}});
}

TEST_CASE("a checkpoint whose commit fails keeps the previous checkpoint and none of the worker's writes",
          "[faults]") {
  FaultyDatabase db;
  insert_job(*db.engine, echo_job(), kNow);
  const Job job = claim_job(*db.engine, kNow);
  REQUIRE(save_chunk(*db.engine, job, 1) == Status::ok());

  db.vfs.arm({.file = FaultFile::wal});
  const Status failed = save_chunk(*db.engine, job, 2);
  CHECK(failed.code() == StatusCode::io_error);
  CHECK_THAT(failed.message(), Catch::StartsWith("saving the checkpoint of job " + std::to_string(job.id)));

  const Job kept = get_job(*db.engine, job.id);
  CHECK(kept.checkpoint == json{{"chunk", 1}});
  CHECK(kept.progress == Progress{1, 10});
  CHECK(kept.state == JobState::executing);
  CHECK(chunks_recorded(db.path) == std::vector<int>{1});

  db.vfs.clear();
  REQUIRE(save_chunk(*db.engine, job, 2) == Status::ok());
  CHECK(get_job(*db.engine, job.id).checkpoint == json{{"chunk", 2}});
  CHECK(chunks_recorded(db.path) == std::vector<int>{1, 2});
}

TEST_CASE(
    "on a full disk inserts and claims fail with disk_full, store nothing, and work again when space returns",
    "[faults]") {
  FaultyDatabase db;
  const Job waiting = insert_job(*db.engine, echo_job({{"n", 0}}), kNow);

  db.vfs.arm({.error = FaultError::disk_full});
  auto one = db.engine->job_insert(echo_job({{"n", 1}}), kNow);
  CHECK(one.status().code() == StatusCode::disk_full);
  CHECK_THAT(one.status().message(), Catch::Contains("database or disk is full"));
  CHECK_THAT(one.status().message(), Catch::Contains("free space"));
  std::vector<NewJob> three{echo_job({{"n", 2}}), echo_job({{"n", 3}}), echo_job({{"n", 4}})};
  CHECK(db.engine->job_insert_many(three, kNow).status().code() == StatusCode::disk_full);
  auto claim = db.engine->job_claim({.queue = "default", .limit = 1, .owner = "runner-a", .now = kNow});
  CHECK(claim.status().code() == StatusCode::disk_full);
  CHECK(job_total(*db.engine) == 1);
  const Job still = get_job(*db.engine, waiting.id);
  CHECK(still.state == JobState::available);
  CHECK(still.attempt == 0);

  db.vfs.clear();
  REQUIRE(db.engine->job_insert_many(three, kNow).is_ok());
  CHECK(job_total(*db.engine) == 4);
  CHECK(claim_job(*db.engine, kNow).id == waiting.id);
}

TEST_CASE("a fault that passes after one failed write leaves the next commit unharmed", "[faults]") {
  FaultyDatabase db;
  db.vfs.arm({.file = FaultFile::wal, .times = 1});
  CHECK(db.engine->job_insert(echo_job({{"n", 1}}), kNow).status().code() == StatusCode::io_error);
  CHECK(db.vfs.failures() == 1);
  const Job second = insert_job(*db.engine, echo_job({{"n", 2}}), kNow);
  CHECK(db.vfs.failures() == 1);
  CHECK(job_total(*db.engine) == 1);
  CHECK(get_job(*db.engine, second.id).args == json{{"n", 2}});
}

TEST_CASE("a WAL checkpoint that cannot write the database file loses no committed job", "[faults]") {
  FaultyDatabase db;
  std::vector<NewJob> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back(echo_job({{"n", i}}));
  REQUIRE(db.engine->job_insert_many(jobs, kNow).is_ok());

  db.vfs.arm({.file = FaultFile::database});
  {
    SQLite::Database other(db.path, SQLite::OPEN_READWRITE);
    CHECK_THROWS_AS(other.exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLite::Exception);
  }
  CHECK(db.vfs.failures() >= 1);
  db.vfs.clear();

  db.engine.reset();
  db.engine = db.open(Synchronous::normal);
  CHECK(job_total(*db.engine) == 50);
  insert_job(*db.engine, echo_job({{"n", 50}}), kNow);
  CHECK(job_total(*db.engine) == 51);
}

}  // namespace jobrunner::testing
