// jobrunner-migrate on real files: applying, reverting, backups, refusals that leave the file
// byte-identical, two migrators at once, a daemon running through a migration, export and import.
#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../engine/src/migrations_embedded.h"
#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

namespace fs = std::filesystem;

// The newest schema version this build knows.
const int kLatest = embedded_migrations().back().version;

Completed migrate(std::vector<std::string> args) {
  args.insert(args.begin(), JOBRUNNER_MIGRATE_BIN);
  return run_process(std::move(args));
}

std::string bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int version_of(const std::string& path) {
  SQLite::Database db(path);
  return db.execAndGet("SELECT max(version) FROM jobrunner_migrations").getInt();
}

int job_count(const std::string& path) {
  SQLite::Database db(path);
  return db.execAndGet("SELECT count(*) FROM jobs").getInt();
}

// A database at `version` holding two jobs, one of them with a checkpoint and errors.
std::string database_at(const TempDir& dir, int version, const std::string& name = "jobs.db") {
  const std::string path = dir.file(name);
  auto made = migrate({"--db", path, "up", "--to", std::to_string(version), "--no-backup"});
  INFO(made.err);
  REQUIRE(made.status.exited_with(0));
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.exec(R"(
    INSERT INTO jobs (queue, worker, args, inserted_at, scheduled_at) VALUES ('default', 'TestJob', '{"n":1}', 1, 1);
    INSERT INTO jobs (queue, worker, args, state, attempt, inserted_at, scheduled_at, attempted_at, errors,
                      checkpoint, progress_done, progress_total, lease_owner, lease_token, lease_expires_at)
    VALUES ('media', 'Encode', '{"file":"a.mp4"}', 'executing', 2, 2, 2, 3,
            '[{"attempt":1,"at":2,"message":"timeout"}]', '{"format":1,"chunk":7}', 7, 10, 'runner-1', 42, 9);
  )");
  return path;
}

std::vector<fs::path> backups_in(const TempDir& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".bak") out.push_back(entry.path());
  }
  return out;
}

// The exported lines without the ids, which an import renumbers.
std::string without_ids(std::string lines) {
  std::string out;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    json job = json::parse(line);
    job.erase("id");
    out += job.dump() + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("migrate up creates a missing database at the latest schema, and status and validate report it") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto up = migrate({"--db", path, "up"});
  INFO(up.err);
  REQUIRE(up.status.exited_with(0));
  CHECK_THAT(up.out,
             Catch::Contains("applied 1 (create_jobs)") && Catch::Contains("applied 2 (jobs_worker_state)"));
  CHECK(backups_in(dir).empty());  // a new database has nothing to back up

  json status = json::parse(migrate({"status", "--json", "--db", path}).out);
  CHECK(status["version"] == kLatest);
  CHECK(status["latest"] == kLatest);
  CHECK(status["migrations"][1]["applied"] == true);
  CHECK(migrate({"--db", path, "validate"}).status.exited_with(0));
  CHECK_THAT(migrate({"--db", path, "up"}).out, Catch::Contains("nothing to apply"));
}

TEST_CASE("migrate up backs the database up first, and the backup restores the version before") {
  TempDir dir;
  const std::string path = database_at(dir, 1);
  const std::string before = bytes(path);
  auto up = migrate({"--db", path, "up"});
  INFO(up.err);
  REQUIRE(up.status.exited_with(0));
  REQUIRE(backups_in(dir).size() == 1);
  const fs::path backup = backups_in(dir)[0];
  CHECK_THAT(up.out, Catch::Contains("backup: " + backup.string()));
  CHECK(version_of(path) == kLatest);
  CHECK(job_count(path) == 2);

  fs::copy_file(backup, path, fs::copy_options::overwrite_existing);
  CHECK(version_of(path) == 1);
  CHECK(job_count(path) == 2);
  CHECK_THAT(migrate({"--db", path, "status"}).out, Catch::Contains("pending"));
  CHECK(bytes(path).size() == before.size());
}

TEST_CASE("a dry run prints each step's SQL and leaves the file byte-identical") {
  TempDir dir;
  const std::string path = database_at(dir, 1);
  const std::string before = bytes(path);
  auto up = migrate({"--db", path, "up", "--dry-run"});
  REQUIRE(up.status.exited_with(0));
  CHECK_THAT(up.out, Catch::Contains("-- migration 2 (jobs_worker_state), up") &&
                         Catch::Contains("CREATE INDEX jobs_worker_state"));
  auto down = migrate({"--db", path, "--dry-run", "down", "--to", "0"});
  REQUIRE(down.status.exited_with(0));
  CHECK_THAT(down.out, Catch::Contains("DROP TABLE jobs") && Catch::Contains("--force-data-loss"));
  CHECK(bytes(path) == before);
  CHECK(backups_in(dir).empty());
}

TEST_CASE(
    "a down that drops data is refused without --force-data-loss, and one that keeps data keeps the jobs") {
  TempDir dir;
  const std::string path = database_at(dir, kLatest);
  const std::string before = bytes(path);
  auto refused = migrate({"--db", path, "down", "--to", "0"});
  CHECK(refused.status.exited_with(2));
  CHECK_THAT(refused.err, Catch::Contains("drops data") && Catch::Contains("--force-data-loss"));
  CHECK(bytes(path) == before);
  CHECK(backups_in(dir).empty());

  REQUIRE(migrate({"--db", path, "down", "--to", "1"}).status.exited_with(0));
  CHECK(version_of(path) == 1);
  CHECK(job_count(path) == 2);
  auto forced = migrate({"--db", path, "down", "--to", "0", "--force-data-loss"});
  INFO(forced.err);
  REQUIRE(forced.status.exited_with(0));
  CHECK_FALSE(SQLite::Database(path).tableExists("jobs"));
  CHECK(backups_in(dir).size() == 2);
}

TEST_CASE("bad files are refused with a clear error, exit 3, and left byte-identical") {
  struct Case {
    const char* what;
    std::function<void(const std::string&)> spoil;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"not SQLite",
       [](const std::string& p) { std::ofstream(p) << "not a database\n"
                                                   << std::string(8192, 'x'); },
       "not a SQLite database"},
      {"empty", [](const std::string& p) { std::ofstream{p}; }, "is empty"},
      {"truncated", [](const std::string& p) { fs::resize_file(p, 3000); }, "damaged"},
      {"tampered checksum",
       [](const std::string& p) {
         SQLite::Database(p, SQLite::OPEN_READWRITE)
             .exec("UPDATE jobrunner_migrations SET checksum = 'x' WHERE version = 1");
       },
       "checksum differs"},
      {"newer version",
       [](const std::string& p) {
         SQLite::Database(p, SQLite::OPEN_READWRITE)
             .exec("INSERT INTO jobrunner_migrations VALUES (99, 'from_the_future', 'x', 1)");
       },
       "newer"},
  };
  const std::vector<std::vector<std::string>> commands = {
      {"status"}, {"validate"}, {"up"}, {"down", "--to", "0", "--force-data-loss"}, {"export"}, {"import"}};
  for (const Case& c : cases) {
    TempDir dir;
    const std::string path = database_at(dir, kLatest);
    c.spoil(path);
    const std::string before = bytes(path);
    for (std::vector<std::string> command : commands) {
      // Up on an empty file is how a database is created, as the engine does.
      if (std::string(c.what) == "empty" && command[0] == "up") continue;
      command.insert(command.begin(), {"--db", path});
      auto r = migrate(command);
      INFO(c.what << ": " << command[2] << "\n" << r.out << r.err);
      CHECK(r.status.exited_with(3));
      CHECK_THAT(r.err, Catch::Contains(c.message));
      CHECK(bytes(path) == before);
      CHECK(backups_in(dir).empty());
    }
  }
}

TEST_CASE("in a directory it cannot write, migrate up fails with a clear error and changes nothing") {
  TempDir dir;
  const std::string path = database_at(dir, 1);
  const std::string before = bytes(path);
  // Root writes anywhere: the tool runs as nobody, who can read the file but not write there.
  std::vector<std::string> as_user;
  if (geteuid() == 0) as_user = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  const fs::perms read_only = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(dir.path(), read_only);
  for (const bool no_backup : {false, true}) {
    std::vector<std::string> argv = as_user;
    for (const char* a : {JOBRUNNER_MIGRATE_BIN, "--db", path.c_str(), "up"}) argv.push_back(a);
    if (no_backup) argv.push_back("--no-backup");
    auto r = run_process(argv);
    INFO(r.out << r.err);
    CHECK(r.status.exited_with(3));
    CHECK_THAT(r.err, Catch::Contains(no_backup ? "readonly" : "cannot back up"));
  }
  fs::permissions(dir.path(), fs::perms::owner_all);
  CHECK(bytes(path) == before);
  CHECK(version_of(path) == 1);
}

TEST_CASE("a second migrator waits for the write lock another holds, or fails after --busy-timeout") {
  TempDir dir;
  const std::string path = database_at(dir, 1);
  SQLite::Database holder(path, SQLite::OPEN_READWRITE);
  auto lock = std::make_unique<SQLite::Transaction>(holder, SQLite::TransactionBehavior::IMMEDIATE);

  auto impatient = migrate({"--db", path, "--busy-timeout", "100", "--no-backup", "up"});
  CHECK(impatient.status.exited_with(1));
  CHECK_THAT(impatient.err, Catch::Contains("locked") && Catch::Contains("busy_timeout"));
  CHECK(version_of(path) == 1);

  Process waiting({JOBRUNNER_MIGRATE_BIN, "--db", path, "--busy-timeout", "10000", "--no-backup", "up"});
  CHECK_FALSE(waiting.wait_for_exit(300ms).has_value());
  lock->commit();
  auto done = waiting.wait_for_exit(10s);
  REQUIRE(done.has_value());
  CHECK(done->exited_with(0));
  CHECK(version_of(path) == kLatest);
}

TEST_CASE("a daemon keeps running jobs while the schema is migrated down and up under it") {
  TempDir dir;
  const std::string db = dir.file("jobs.db");
  Daemon daemon(db);
  auto engine = open_database(db);
  JobId during = enqueue_test_job(db, {{"duration_ms", 1'000}, {"chunk_ms", 20}});
  REQUIRE(eventually([&] { return job_in(*engine, during).progress.has_value(); }, 5s));
  // The daemon's checkpoints wait for each migration's transaction, then go on.
  REQUIRE(migrate({"--db", db, "down", "--to", "1"}).status.exited_with(0));
  REQUIRE(migrate({"--db", db, "up"}).status.exited_with(0));
  CHECK(job_in(*engine, during).state == JobState::executing);
  JobId after = enqueue_test_job(db, {{"duration_ms", 50}, {"chunk_ms", 25}});
  for (JobId id : {during, after}) {
    CHECK(eventually([&] { return job_in(*engine, id).state == JobState::completed; }, 10s));
  }
  CHECK(version_of(db) == kLatest);
  CHECK(daemon.stop(SIGTERM, 10s).value_or(ExitStatus{}).exited_with(0));
}

TEST_CASE("export then import moves jobs with their checkpoints to another database") {
  TempDir dir;
  const std::string from = database_at(dir, kLatest, "from.db");
  const std::string to = database_at(dir, kLatest, "to.db");
  SQLite::Database(to, SQLite::OPEN_READWRITE).exec("DELETE FROM jobs");
  const std::string file = dir.file("jobs.jsonl");

  auto exported = migrate({"--db", from, "export", "--format", "jsonl", "--output", file});
  INFO(exported.err);
  REQUIRE(exported.status.exited_with(0));
  CHECK_THAT(exported.out, Catch::Contains("2 jobs exported"));
  auto imported = migrate({"--db", to, "import", "--input", file});
  INFO(imported.err);
  REQUIRE(imported.status.exited_with(0));
  CHECK_THAT(imported.out, Catch::Contains("2 jobs imported"));

  const std::string original = without_ids(bytes(file));
  const std::string copied = without_ids(migrate({"--db", to, "export"}).out);
  // The executing job comes back available: its lease belonged to a runner of the other database.
  std::string expected = original;
  expected.replace(expected.find("\"executing\""), 11, "\"available\"");
  CHECK(copied == expected);
  CHECK_THAT(copied, Catch::Contains(R"("checkpoint":{"chunk":7,"format":1})"));

  std::ofstream(file, std::ios::app) << "{\"queue\": \"default\"}\n";
  auto bad = migrate({"--db", to, "import", "--input", file, "--no-backup"});
  CHECK(bad.status.exited_with(2));
  CHECK_THAT(bad.err, Catch::Contains("line 3") && Catch::Contains("\"worker\" is missing"));
  CHECK(job_count(to) == 2);
}

}  // namespace jobrunner::testing
