// The Migrator under jobrunner-migrate: up and down to a version, dry runs, and checksums that
// catch a migration edited after it was applied. Run over a small set of made-up migrations.
#include "../../engine/src/migrator.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>

#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

constexpr Migration kSteps[] = {
    {1, "create_a", "CREATE TABLE a (x INTEGER);", "DROP TABLE a;", "checksum-1"},
    {2, "create_b", "CREATE TABLE b (y INTEGER);", "DROP TABLE b;", "checksum-2"},
    {3, "create_c", "CREATE TABLE c (z INTEGER); CREATE INDEX c_z ON c (z);", "DROP TABLE c;", "checksum-3"},
};

std::vector<int> versions(const Result<std::vector<Migration>>& r) {
  REQUIRE(r.is_ok());
  std::vector<int> out;
  for (const Migration& m : *r) out.push_back(m.version);
  return out;
}

struct Database {
  TempDir dir;
  SQLite::Database db{dir.file("m.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
};

}  // namespace

TEST_CASE("migrating up applies the pending migrations in order, each recorded with its checksum") {
  Database d;
  Migrator m(d.db, kSteps);
  CHECK(m.latest_version() == 3);
  CHECK(*m.current_version() == 0);

  CHECK(versions(m.up(1, kNow)) == std::vector<int>{1});
  CHECK(*m.current_version() == 1);
  CHECK(d.db.tableExists("a"));
  CHECK_FALSE(d.db.tableExists("b"));

  CHECK(versions(m.up(std::nullopt, kNow + 1)) == std::vector<int>{2, 3});
  CHECK(versions(m.up(std::nullopt, kNow + 2)).empty());
  auto applied = m.applied();
  REQUIRE(applied.is_ok());
  REQUIRE(applied->size() == 3);
  CHECK(applied->at(0).name == "create_a");
  CHECK(applied->at(0).checksum == "checksum-1");
  CHECK(applied->at(0).applied_at == kNow);
  CHECK(applied->at(2).applied_at == kNow + 1);
  CHECK(m.validate() == Status::ok());
}

TEST_CASE("migrating down reverts the newest migrations first") {
  Database d;
  Migrator m(d.db, kSteps);
  REQUIRE(m.up(std::nullopt, kNow).is_ok());

  CHECK(versions(m.down(1)) == std::vector<int>{3, 2});
  CHECK(*m.current_version() == 1);
  CHECK(d.db.tableExists("a"));
  CHECK_FALSE(d.db.tableExists("b"));
  CHECK_FALSE(d.db.tableExists("c"));
  CHECK(versions(m.down(0)) == std::vector<int>{1});
  CHECK(*m.current_version() == 0);
}

TEST_CASE("a dry run lists what would be applied or reverted and changes nothing") {
  Database d;
  Migrator m(d.db, kSteps);
  CHECK(versions(m.up(2, kNow, true)) == std::vector<int>{1, 2});
  CHECK(*m.current_version() == 0);
  CHECK_FALSE(d.db.tableExists("a"));

  REQUIRE(m.up(std::nullopt, kNow).is_ok());
  CHECK(versions(m.down(1, true)) == std::vector<int>{3, 2});
  CHECK(*m.current_version() == 3);
  CHECK(d.db.tableExists("c"));
}

TEST_CASE("status shows each migration, applied or pending") {
  Database d;
  Migrator m(d.db, kSteps);
  REQUIRE(m.up(2, kNow).is_ok());
  auto status = m.status();
  REQUIRE(status.is_ok());
  REQUIRE(status->size() == 3);
  CHECK(status->at(1).applied);
  CHECK(status->at(1).applied_at == kNow);
  CHECK_FALSE(status->at(2).applied);
  CHECK(status->at(2).name == "create_c");
}

TEST_CASE("a migration edited after it was applied fails validation, and up refuses to go on") {
  Database d;
  REQUIRE(Migrator(d.db, std::span(kSteps).first(1)).up(std::nullopt, kNow).is_ok());

  const Migration edited[] = {
      {1, "create_a", "CREATE TABLE a (x INTEGER, extra TEXT);", "DROP TABLE a;", "other"}, kSteps[1]};
  Migrator m(d.db, edited);
  const Status s = m.validate();
  CHECK(s.code() == StatusCode::schema_mismatch);
  CHECK_THAT(s.message(), Catch::Contains("migration 1 (create_a)") && Catch::Contains("checksum"));
  CHECK(m.up(std::nullopt, kNow).status().code() == StatusCode::schema_mismatch);
  CHECK_FALSE(d.db.tableExists("b"));
}

TEST_CASE("a database migrated further than this build knows is reported and not migrated down") {
  Database d;
  REQUIRE(Migrator(d.db, kSteps).up(std::nullopt, kNow).is_ok());
  Migrator older(d.db, std::span(kSteps).first(2));
  CHECK_THAT(older.validate().message(), Catch::Contains("migration 3 (create_c) is not known"));
  CHECK(older.down(0).status().code() == StatusCode::schema_mismatch);
  CHECK(d.db.tableExists("c"));
}

TEST_CASE("a failing migration is rolled back, keeping the ones applied before it") {
  Database d;
  const Migration steps[] = {
      kSteps[0], {2, "broken", "CREATE TABLE b (y INTEGER); INSERT INTO missing VALUES (1);", "", "x"}};
  Migrator m(d.db, steps);
  auto r = m.up(std::nullopt, kNow);
  REQUIRE_FALSE(r.is_ok());
  CHECK_THAT(r.status().message(), Catch::Contains("migration 2 (broken)") && Catch::Contains("missing"));
  CHECK(*m.current_version() == 1);
  CHECK(d.db.tableExists("a"));
  CHECK_FALSE(d.db.tableExists("b"));
}

TEST_CASE("migrating to a version this build does not have is refused") {
  Database d;
  Migrator m(d.db, kSteps);
  CHECK(m.up(4, kNow).status().code() == StatusCode::invalid_argument);
  CHECK(m.down(-1).status().code() == StatusCode::invalid_argument);
}
