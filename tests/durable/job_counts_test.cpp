// job_counts (migration 0003): the triggers keep the counts equal to counting the jobs themselves,
// through every change an engine makes, and the migration counts the jobs already there.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <map>
#include <tuple>

#include "../../engine/src/migrator.h"
#include "durable_support.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

using Counts = std::map<std::tuple<std::string, std::string, std::string>, std::int64_t>;

Counts read_counts(SQLite::Database& db, const std::string& sql) {
  Counts out;
  SQLite::Statement q(db, sql);
  while (q.executeStep()) {
    out[{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()}] =
        q.getColumn(3).getInt64();
  }
  return out;
}

// What job_counts says, and what counting the jobs says.
void check_counts_agree(const std::string& path) {
  SQLite::Database db(path);
  const Counts kept = read_counts(db, "SELECT queue, worker, state, n FROM job_counts WHERE n <> 0");
  const Counts counted =
      read_counts(db, "SELECT queue, worker, state, count(*) FROM jobs GROUP BY queue, worker, state");
  CHECK(kept == counted);
}

NewJob job(const std::string& queue, const std::string& worker) {
  NewJob j;
  j.queue = queue;
  j.worker = worker;
  j.args = json::object();
  j.max_attempts = 3;
  return j;
}

}  // namespace

TEST_CASE(
    "job counts stay equal to counting the jobs through inserts, claims, finishes, cancels, retries "
    "and prunes") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  std::vector<NewJob> batch;
  for (int i = 0; i < 120; ++i) batch.push_back(job(i % 3 == 0 ? "mail" : "default", i % 2 ? "A" : "B"));
  batch[5].scheduled_at = kNow + 60'000;
  REQUIRE(engine->job_insert_many(batch, kNow).status() == Status::ok());
  check_counts_agree(path);

  auto claimed = engine->job_claim({"default", 30, "runner", kNow});
  REQUIRE(claimed.is_ok());
  REQUIRE(claimed->size() == 30);
  std::vector<JobFinishParams> ends;
  for (std::size_t i = 0; i < claimed->size(); ++i) {
    JobFinishParams p;
    p.id = (*claimed)[i].id;
    p.token = (*claimed)[i].lease->token;
    p.now = kNow + 1;
    p.kind = i % 3 == 0 ? FinishKind::complete : i % 3 == 1 ? FinishKind::error : FinishKind::interrupt;
    p.message = "failed";
    ends.push_back(p);
  }
  ends.pop_back();  // one job stays executing
  for (const Status& s : engine->job_finish(ends)) REQUIRE(s.is_ok());
  check_counts_agree(path);

  REQUIRE(engine->job_cancel((*claimed).back().id, kNow + 2).is_ok());
  REQUIRE(engine->job_retry(ends[1].id, kNow + 2).is_ok());
  REQUIRE(engine->job_stage(kNow + 120'000).is_ok());
  check_counts_agree(path);

  auto pruned = engine->job_prune({.finished_before = kNow + 10});
  REQUIRE(pruned.is_ok());
  CHECK(*pruned == 11);  // 10 completed, 1 cancelled
  check_counts_agree(path);

  auto counts = engine->job_count({});
  REQUIRE(counts.is_ok());
  std::int64_t total = 0;
  for (const StateCount& c : *counts) total += c.count;
  CHECK(total == 120 - 11);
  auto queues = engine->queue_list();
  REQUIRE(queues.is_ok());
  REQUIRE(queues->size() == 2);
  CHECK((*queues)[0].name == "default");
  CHECK((*queues)[1].name == "mail");
}

TEST_CASE("migrating up to job counts counts the jobs already in the database, and down keeps them") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    Migrator m(db);
    REQUIRE(m.up(2, kNow).is_ok());
    db.exec(R"(
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
      INSERT INTO jobs (queue, worker, state, inserted_at, scheduled_at, finished_at)
      SELECT 'q' || (i % 3), 'w' || (i % 7), CASE WHEN i % 5 = 0 THEN 'available' ELSE 'completed' END,
             i, i, CASE WHEN i % 5 != 0 THEN i END
      FROM n;
    )");
    REQUIRE(m.up(3, kNow).is_ok());
  }
  check_counts_agree(path);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    Migrator m(db);
    REQUIRE(m.down(2).is_ok());
    CHECK_FALSE(db.tableExists("job_counts"));
    CHECK(db.execAndGet("SELECT count(*) FROM jobs").getInt() == 500);
    REQUIRE(m.up(3, kNow).is_ok());
  }
  check_counts_agree(path);
}
