// The queries run on every poll are served by their partial indexes: their cost does not grow
// with the number of finished or waiting jobs, and none of them sorts.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "../../engine/src/sqlite_queries.h"
#include "durable_support.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

// A database holding jobs in every state, then ANALYZEd, so the planner chooses as it would on a
// database that has been in use.
std::string used_database(const TempDir& dir) {
  const std::string path = dir.file("jobs.db");
  testing::open_durable_engine(path).reset();
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.exec(R"(
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
    INSERT INTO jobs (queue, worker, state, priority, inserted_at, scheduled_at, finished_at, lease_owner,
                      lease_token, lease_expires_at)
    SELECT 'q' || (i % 4), 'echo',
           CASE i % 7 WHEN 0 THEN 'scheduled' WHEN 1 THEN 'available' WHEN 2 THEN 'executing'
                      WHEN 3 THEN 'retryable' WHEN 4 THEN 'completed' WHEN 5 THEN 'discarded' ELSE 'cancelled' END,
           i % 10, i, i,
           CASE WHEN i % 7 >= 4 THEN i END,
           CASE WHEN i % 7 = 2 THEN 'runner-' || (i % 3) END,
           CASE WHEN i % 7 = 2 THEN i END,
           CASE WHEN i % 7 = 2 THEN i + 30000 END
    FROM n;
    ANALYZE;
  )");
  return path;
}

}  // namespace

TEST_CASE("the claim finds its candidates by searching the partial claim index, without sorting") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kClaimCandidates);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("SEARCH jobs USING INDEX jobs_claim (queue=?)"));
  CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
  CHECK_THAT(plan, !Catch::Contains("SCAN"));
}

TEST_CASE("the whole claim statement reaches jobs through the claim index and the primary key") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kClaim);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("jobs_claim"));
  CHECK_THAT(plan, Catch::Contains("SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)"));
  CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
  CHECK_THAT(plan, !Catch::Contains("SCAN jobs\n"));
}

TEST_CASE("staging searches the partial staging index by scheduled_at") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kStage);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("SEARCH jobs USING INDEX jobs_stage (scheduled_at<?)"));
  CHECK_THAT(plan, !Catch::Contains("SCAN"));
}

TEST_CASE("pruning searches the partial prune index by finished_at, without sorting") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kPruneCandidates);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("SEARCH jobs USING INDEX jobs_prune (finished_at<?)"));
  CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
}

TEST_CASE("the rescuer reads executing jobs only, through the partial rescue index") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kOrphans);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("jobs USING INDEX jobs_rescue"));
  CHECK_THAT(plan, !Catch::Contains("SCAN jobs\n"));
}

TEST_CASE("a unique insert finds earlier jobs by the unique index") {
  TempDir dir;
  SQLite::Database db(used_database(dir));
  const std::string plan = testing::query_plan(db, sql::kFindDuplicate);
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("SEARCH jobs USING INDEX jobs_unique (unique_key=? AND inserted_at>?)"));
}
