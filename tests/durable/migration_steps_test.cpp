// The real migrations, step by step over a database holding jobs: every up keeps them, every down
// that is not marked as dropping data keeps them, and a failing step leaves the version before it.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "../../engine/src/migrator.h"
#include "durable_support.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

struct Database {
  TempDir dir;
  SQLite::Database db{dir.file("jobs.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
};

// A job marked with the version it was inserted at, with a checkpoint.
void insert_job(SQLite::Database& db, int version) {
  SQLite::Statement q(db,
                      "INSERT INTO jobs (queue, worker, args, inserted_at, scheduled_at, checkpoint)"
                      " VALUES ('default', 'TestJob', json_object('version', ?1), ?2, ?2, '{\"format\":1}')");
  q.bind(1, version);
  q.bind(2, kNow + version);
  q.exec();
}

// The versions of the jobs in the database, oldest first.
std::vector<int> job_versions(SQLite::Database& db) {
  std::vector<int> out;
  SQLite::Statement q(db, "SELECT args ->> 'version' FROM jobs WHERE checkpoint IS NOT NULL ORDER BY id");
  while (q.executeStep()) out.push_back(q.getColumn(0).getInt());
  return out;
}

int current(Migrator& m) {
  auto v = m.current_version();
  REQUIRE(v.is_ok());
  return *v;
}

}  // namespace

TEST_CASE("every migration steps up and down over a database holding jobs, keeping them unless marked") {
  Database d;
  Migrator m(d.db);
  const std::span<const Migration> all = embedded_migrations();
  REQUIRE(m.latest_version() >= 2);

  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    std::vector<int> expected;
    for (const Migration& step : all) {
      INFO("up to " << step.version);
      REQUIRE(m.up(step.version, kNow).is_ok());
      CHECK(current(m) == step.version);
      CHECK(m.validate() == Status::ok());
      CHECK(job_versions(d.db) == expected);
      insert_job(d.db, step.version);
      expected.push_back(step.version);
    }
    for (auto step = all.rbegin(); step != all.rend(); ++step) {
      INFO("down from " << step->version);
      REQUIRE(m.down(step->version - 1).is_ok());
      CHECK(current(m) == step->version - 1);
      if (step->drops_data) {
        expected.clear();
      } else {
        CHECK(job_versions(d.db) == expected);
      }
    }
    CHECK_FALSE(d.db.tableExists("jobs"));
  }
}

TEST_CASE("only the first migration's down is marked as dropping data") {
  for (const Migration& step : embedded_migrations()) {
    INFO("migration " << step.version);
    CHECK(step.drops_data == (step.version == 1));
  }
}

TEST_CASE("a failing migration leaves the database at the version before it, with its jobs") {
  Database d;
  std::vector<Migration> steps(embedded_migrations().begin(), embedded_migrations().end());
  const int broken = static_cast<int>(steps.size()) + 1;
  steps.push_back({broken, "broken",
                   "ALTER TABLE jobs ADD COLUMN owner TEXT; UPDATE jobs SET owner = 'x';"
                   " INSERT INTO missing VALUES (1);",
                   "ALTER TABLE jobs DROP COLUMN owner;", "checksum"});
  Migrator m(d.db, steps);
  REQUIRE(m.up(broken - 1, kNow).is_ok());
  insert_job(d.db, broken - 1);

  auto r = m.up(std::nullopt, kNow);
  REQUIRE_FALSE(r.is_ok());
  CHECK_THAT(r.status().message(), Catch::Contains("migration " + std::to_string(broken) + " (broken)"));
  CHECK(current(m) == broken - 1);
  CHECK(job_versions(d.db) == std::vector<int>{broken - 1});
  SQLite::Statement columns(d.db, "SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'owner'");
  REQUIRE(columns.executeStep());
  CHECK(columns.getColumn(0).getInt() == 0);
}

TEST_CASE(
    "listing one worker's or one queue's jobs searches its (worker, id) or (queue, id) index, without "
    "sorting") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  testing::open_durable_engine(path).reset();
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.exec(R"(
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
    INSERT INTO jobs (queue, worker, state, inserted_at, scheduled_at, finished_at)
    SELECT 'q' || (i % 4), 'worker' || (i % 50), CASE WHEN i % 20 = 0 THEN 'available' ELSE 'completed' END,
           i, i, CASE WHEN i % 20 != 0 THEN i END
    FROM n;
    ANALYZE;
  )");
  // The shapes of the engine's job_list with a worker or queue filter (and states).
  const std::string states = "state IN (SELECT value FROM json_each(:states)) AND ";
  for (const std::string column : {"worker", "queue"}) {
    for (const std::string& where : {column + " = :v", states + column + " = :v"}) {
      for (const std::string order : {"DESC", "ASC"}) {
        const std::string sql =
            "SELECT * FROM jobs WHERE " + where + " ORDER BY id " + order + " LIMIT :limit";
        const std::string plan = testing::query_plan(db, sql);
        INFO(sql << "\n" << plan);
        CHECK_THAT(plan, Catch::Contains("USING INDEX jobs_" + column + "_id (" + column + "=?)"));
        CHECK_THAT(plan, !Catch::Contains("TEMP B-TREE"));
        CHECK_THAT(plan, !Catch::Contains("SCAN jobs"));
      }
    }
  }
}
