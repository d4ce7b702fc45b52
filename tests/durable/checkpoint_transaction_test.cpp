// A worker's own SQLite writes made in a checkpoint's in_transaction commit together with the
// checkpoint, or not at all.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <stdexcept>

#include "durable_support.h"
#include "support/engines.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

// Saves checkpoint {"chunk": chunk} and, in the same transaction, records the chunk in the
// worker's own table; throws after the write when `fail` is set.
Status save_chunk(Engine& engine, const Job& job, LeaseToken token, int chunk, bool fail = false) {
  return engine.job_checkpoint({.id = job.id,
                                .token = token,
                                .now = kNow,
                                .checkpoint = {{"chunk", chunk}},
                                .progress = Progress{chunk, 10},
                                .in_transaction = [&](Transaction& tx) {
                                  SQLite::Database* db = tx.sqlite();
                                  REQUIRE(db != nullptr);
                                  db->exec("CREATE TABLE IF NOT EXISTS chunks (job INTEGER, chunk INTEGER)");
                                  SQLite::Statement insert(*db, "INSERT INTO chunks VALUES (?, ?)");
                                  insert.bind(1, job.id);
                                  insert.bind(2, chunk);
                                  insert.exec();
                                  if (fail)
                                    throw std::runtime_error("chunk " + std::to_string(chunk) + " broke");
                                }});
}

std::vector<int> chunks_recorded(const std::string& path) {
  SQLite::Database db(path);
  std::vector<int> chunks;
  if (!db.tableExists("chunks")) return chunks;
  SQLite::Statement q(db, "SELECT chunk FROM chunks ORDER BY chunk");
  while (q.executeStep()) chunks.push_back(q.getColumn(0).getInt());
  return chunks;
}

}  // namespace

TEST_CASE("a checkpoint's in_transaction writes commit with a valid lease and roll back with a stale one") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job(), kNow);
  const Job job = testing::claim_job(*engine, kNow);

  REQUIRE(save_chunk(*engine, job, job.lease->token, 1) == Status::ok());
  CHECK(chunks_recorded(path) == std::vector<int>{1});

  CHECK(save_chunk(*engine, job, job.lease->token + 1, 2).code() == StatusCode::stale_lease);
  CHECK(chunks_recorded(path) == std::vector<int>{1});

  // The job loses its lease (the runner released it at the shutdown deadline): its late write is refused.
  REQUIRE(testing::finish_job(*engine, testing::outcome(job, FinishKind::interrupt, kNow)) == Status::ok());
  CHECK(save_chunk(*engine, job, job.lease->token, 3).code() == StatusCode::stale_lease);
  CHECK(chunks_recorded(path) == std::vector<int>{1});

  const Job after = testing::get_job(*engine, job.id);
  CHECK(after.checkpoint == json{{"chunk", 1}});
  CHECK(after.progress == Progress{1, 10});
}

TEST_CASE("an exception from in_transaction rolls back the checkpoint and the worker's writes") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job(), kNow);
  const Job job = testing::claim_job(*engine, kNow);
  REQUIRE(save_chunk(*engine, job, job.lease->token, 1) == Status::ok());

  const Status failed = save_chunk(*engine, job, job.lease->token, 2, true);
  CHECK_FALSE(failed.is_ok());
  CHECK_THAT(failed.message(), Catch::Contains("chunk 2 broke"));
  CHECK(chunks_recorded(path) == std::vector<int>{1});
  CHECK(testing::get_job(*engine, job.id).checkpoint == json{{"chunk", 1}});

  // The engine is left usable: the next chunk saves.
  REQUIRE(save_chunk(*engine, job, job.lease->token, 2) == Status::ok());
  CHECK(chunks_recorded(path) == std::vector<int>{1, 2});
}

TEST_CASE("a write to the engine from inside in_transaction is refused instead of deadlocking") {
  TempDir dir;
  auto engine = testing::open_durable_engine(dir.file("jobs.db"));
  testing::insert_job(*engine, testing::echo_job(), kNow);
  const Job job = testing::claim_job(*engine, kNow);
  Status nested;
  const Status saved = engine->job_checkpoint(
      {.id = job.id,
       .token = job.lease->token,
       .now = kNow,
       .checkpoint = {{"chunk", 1}},
       .in_transaction = [&](Transaction&) { nested = engine->queue_pause("default", kNow); }});
  CHECK(saved == Status::ok());
  CHECK(nested.code() == StatusCode::invalid_argument);
}
