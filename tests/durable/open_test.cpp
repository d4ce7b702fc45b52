// Opening a database file: what the durable engine creates, and what it refuses without touching.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "../../engine/src/migrations_embedded.h"
#include "../../engine/src/migrator.h"
#include "durable_support.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

int latest_version() { return embedded_migrations().back().version; }

// A database at the latest schema, closed again.
void create_database(const std::string& path) { testing::open_durable_engine(path).reset(); }

}  // namespace

TEST_CASE("a new database gets the latest schema and records each migration") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  create_database(path);

  SQLite::Database db(path);
  SQLite::Statement q(
      db, "SELECT version, name, checksum, applied_at FROM jobrunner_migrations ORDER BY version");
  int rows = 0;
  while (q.executeStep()) {
    const Migration& m = embedded_migrations()[static_cast<std::size_t>(rows)];
    CHECK(q.getColumn(0).getInt() == m.version);
    CHECK(q.getColumn(1).getString() == m.name);
    CHECK(q.getColumn(2).getString() == m.checksum);
    CHECK(q.getColumn(2).getString().size() == 64);
    CHECK(q.getColumn(3).getInt64() > 0);
    ++rows;
  }
  CHECK(rows == latest_version());
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.tableExists("jobs"));
  CHECK(db.tableExists("queues"));
  CHECK(db.tableExists("runners"));
}

TEST_CASE("an empty file is brought to the latest schema") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  std::ofstream(path).close();
  create_database(path);
  SQLite::Database db(path);
  CHECK(db.execAndGet("SELECT max(version) FROM jobrunner_migrations").getInt() == latest_version());
}

TEST_CASE("a database written by a newer jobrunner is refused and left byte-identical") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  create_database(path);
  const int newer = latest_version() + 1;
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO jobrunner_migrations (version, name, checksum, applied_at) VALUES (" +
            std::to_string(newer) + ", 'from_the_future', 'unknown', 1)");
  }
  const std::string before = testing::file_bytes(path);

  for (bool migrate : {false, true}) {
    auto engine = open_sqlite_engine({.path = path, .migrate = migrate});
    REQUIRE_FALSE(engine.is_ok());
    CHECK(engine.status().code() == StatusCode::schema_mismatch);
    CHECK_THAT(engine.status().message(),
               Catch::Contains("version " + std::to_string(newer)) && Catch::Contains("newer jobrunner"));
  }
  CHECK(testing::file_bytes(path) == before);
}

TEST_CASE("a database with an older schema is refused unless migrate is set, then brought up to date") {
  if (latest_version() < 2) return;  // every database is at the one schema there is
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(Migrator(db).up(latest_version() - 1, 1).is_ok());
  }
  const std::string before = testing::file_bytes(path);

  auto refused = open_sqlite_engine({.path = path});
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::schema_mismatch);
  CHECK_THAT(refused.status().message(),
             Catch::Contains("jobrunner-migrate up") && Catch::Contains("--migrate"));
  CHECK(testing::file_bytes(path) == before);

  testing::open_durable_engine(path, true).reset();
  SQLite::Database db(path);
  CHECK(db.execAndGet("SELECT max(version) FROM jobrunner_migrations").getInt() == latest_version());
}

TEST_CASE("a file that is not a SQLite database is refused and left byte-identical") {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  std::ofstream(path) << "These are not the jobs you are looking for.\n" << std::string(4096, 'x');
  const std::string before = testing::file_bytes(path);

  auto engine = open_sqlite_engine({.path = path, .migrate = true});
  REQUIRE_FALSE(engine.is_ok());
  CHECK(engine.status().code() == StatusCode::corrupt);
  CHECK_THAT(engine.status().message(), Catch::Contains("not a SQLite database") && Catch::Contains(path));
  CHECK(testing::file_bytes(path) == before);
}

TEST_CASE("a SQLite database of another program is refused and left byte-identical") {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER); INSERT INTO invoices VALUES (1, 42)");
  }
  const std::string before = testing::file_bytes(path);

  auto engine = open_sqlite_engine({.path = path, .migrate = true});
  REQUIRE_FALSE(engine.is_ok());
  CHECK(engine.status().code() == StatusCode::corrupt);
  CHECK_THAT(engine.status().message(), Catch::Contains("not a jobrunner") && Catch::Contains("invoices"));
  CHECK(testing::file_bytes(path) == before);
  SQLite::Database db(path);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "delete");
}

TEST_CASE("a database in a directory that does not exist is an I/O error") {
  TempDir dir;
  auto engine = open_sqlite_engine({.path = dir.file("missing/jobs.db")});
  REQUIRE_FALSE(engine.is_ok());
  CHECK(engine.status().code() == StatusCode::io_error);
}

TEST_CASE("options that cannot work are refused before anything is opened") {
  CHECK(open_sqlite_engine({}).status().code() == StatusCode::invalid_argument);
  TempDir dir;
  auto engine = open_sqlite_engine({.path = dir.file("jobs.db"), .busy_timeout = Millis(-1)});
  CHECK(engine.status().code() == StatusCode::invalid_argument);
}
