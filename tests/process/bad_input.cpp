// The bad-input catalogue (docs/BAD_INPUT.md), one section per row, on the real binaries: each bad
// input exits with its documented code and message, and leaves every file as it was. The files in
// the test's directory (the database, its -wal, anything a command might create) are compared byte
// for byte before and after, so a row fails if a refused command inserted, migrated, backed up or
// created anything.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "../../engine/src/migrations_embedded.h"
#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

// The newest schema version this build knows.
const int kLatest = embedded_migrations().back().version;

namespace fs = std::filesystem;

constexpr int kUsage = 2;
constexpr int kDatabase = 3;

// One row of the catalogue: a command line ("{db}" stands for the database path), its exit code and
// a part of its message.
struct Row {
  std::string name;
  std::vector<std::string> args;
  int code;
  std::string message;
};

// Every file under dir with its bytes; directories map to "/".
std::map<std::string, std::string> files_in(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    if (entry.is_directory() || !entry.is_regular_file()) {
      out[name] = "/";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    out[name] = bytes.str();
  }
  return out;
}

std::vector<std::string> with_db(std::vector<std::string> args, const std::string& db) {
  for (std::string& a : args) {
    if (a == "{db}") a = db;
  }
  return args;
}

// Runs argv (a tool's path first) with a short deadline: a command that should be refused but
// starts a daemon instead fails the row rather than hanging the suite.
Completed run_tool(std::vector<std::string> argv) { return run_process(std::move(argv), {}, 10s); }

void check_refused(const Completed& r, const std::string& tool, int code, const std::string& message) {
  INFO("exit " << r.status.code << " signal " << r.status.signal << "\nstdout: " << r.out
               << "\nstderr: " << r.err);
  CHECK(r.status.exited_with(code));
  CHECK_THAT(r.err, Catch::StartsWith(tool + ": ") && Catch::Contains(message));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

std::int64_t job_count(const std::string& db) {
  SQLite::Database sqlite(db, SQLite::OPEN_READONLY);
  return sqlite.execAndGet("SELECT count(*) FROM jobs").getInt64();
}

// A database of two jobs enqueued by the binary, made once and copied into each row's directory.
const std::string& two_job_database() {
  static const TempDir dir;
  static const std::string db = [] {
    const std::string path = dir.file("jobs.db");
    enqueue_test_job(path, json::object());
    enqueue_test_job(path, {{"duration_ms", 300}, {"chunk_ms", 100}});
    return path;
  }();
  return db;
}

// A database holding two jobs, in a directory of its own.
struct Scene {
  TempDir dir;
  std::string db = dir.file("jobs.db");

  Scene() { fs::copy_file(two_job_database(), db); }

  // Runs `jobrunner row.args...` and checks the refusal, that every file is as it was, and that the
  // database still holds its two jobs.
  void check_row(const Row& row) {
    const auto before = files_in(dir.path());
    std::vector<std::string> argv = with_db(row.args, db);
    argv.insert(argv.begin(), JOBRUNNER_BIN);
    check_refused(run_tool(argv), "jobrunner", row.code, row.message);
    CHECK(files_in(dir.path()) == before);
    CHECK(job_count(db) == 2);
  }
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// {"a": [[...]]}: nested `depth` levels deep in all.
std::string nested_args(int depth) {
  return R"({"a":)" + std::string(static_cast<std::size_t>(depth - 1), '[') +
         std::string(static_cast<std::size_t>(depth - 1), ']') + "}";
}

}  // namespace

TEST_CASE("bad input: job args are refused with exit 2 and nothing is inserted") {
  Scene scene;
  write_file(scene.dir.file("big.json"), R"({"a":")" + std::string(kMaxArgsBytes, 'x') + R"("})");
  write_file(scene.dir.file("deep.json"), nested_args(500'000));
  write_file(scene.dir.file("list.json"), "[1, 2]");
  const std::vector<Row> rows = {
      {"args not JSON",
       {"enqueue", "TestJob", "--db", "{db}", "--args", "{not json"},
       kUsage,
       "--args is not valid JSON: [json.exception.parse_error.101]"},
      {"args empty",
       {"enqueue", "TestJob", "--db", "{db}", "--args", ""},
       kUsage,
       "--args is not valid JSON"},
      {"args JSON but an array",
       {"enqueue", "TestJob", "--db", "{db}", "--args", "[1, 2]"},
       kUsage,
       "--args must be a JSON object, not array"},
      {"args JSON but a string",
       {"enqueue", "TestJob", "--db", "{db}", "--args", R"("x")"},
       kUsage,
       "--args must be a JSON object, not string"},
      {"args JSON but null",
       {"enqueue", "TestJob", "--db", "{db}", "--args", "null"},
       kUsage,
       "--args must be a JSON object, not null"},
      {"args nested 10,000 deep",
       {"enqueue", "TestJob", "--db", "{db}", "--args", nested_args(10'000)},
       kUsage,
       "--args is nested more than 128 levels deep"},
      {"args nested 129 deep",
       {"enqueue", "TestJob", "--db", "{db}", "--args", nested_args(129)},
       kUsage,
       "--args is nested more than 128 levels deep"},
      {"args file over 1 MiB",
       {"enqueue", "TestJob", "--db", "{db}", "--args-file", scene.dir.file("big.json")},
       kUsage,
       "is over the limit of 1048576 bytes (1 MiB) for job args"},
      {"args file nested 500,000 deep (under 1 MiB)",
       {"enqueue", "TestJob", "--db", "{db}", "--args-file", scene.dir.file("deep.json")},
       kUsage,
       "--args-file is nested more than 128 levels deep"},
      {"args file JSON but an array",
       {"enqueue", "TestJob", "--db", "{db}", "--args-file", scene.dir.file("list.json")},
       kUsage,
       "--args-file must be a JSON object, not array"},
      {"args file missing",
       {"enqueue", "TestJob", "--db", "{db}", "--args-file", scene.dir.file("none.json")},
       kUsage,
       "--args-file: cannot read"},
      {"args and args file together",
       {"enqueue", "TestJob", "--db", "{db}", "--args", "{}", "--args-file", scene.dir.file("list.json")},
       kUsage,
       "--args excludes --args-file"},
      {"TestJob args out of range",
       {"enqueue", "TestJob", "--db", "{db}", "--args", R"({"duration_ms": -5})"},
       kUsage,
       "bad TestJob args:"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) { scene.check_row(row); }
  }
}

TEST_CASE("bad input: job options are refused with exit 2 and nothing is inserted") {
  Scene scene;
  const std::vector<Row> rows = {
      {"unknown worker",
       {"enqueue", "NoSuchWorker", "--db", "{db}"},
       kUsage,
       "unknown worker 'NoSuchWorker': no daemon of this build could run it (workers: TestJob)"},
      {"empty worker", {"enqueue", "", "--db", "{db}"}, kUsage, "unknown worker ''"},
      {"queue name with a space",
       {"enqueue", "TestJob", "--db", "{db}", "--queue", "no spaces"},
       kUsage,
       "--queue: 'no spaces' is not a queue name"},
      {"queue name empty",
       {"enqueue", "TestJob", "--db", "{db}", "--queue", ""},
       kUsage,
       "--queue: '' is not a queue name"},
      {"queue name of 65 characters",
       {"enqueue", "TestJob", "--db", "{db}", "--queue", std::string(65, 'q')},
       kUsage,
       "is not a queue name (1-64 characters"},
      {"pause an invalid queue name",
       {"pause", "no/slashes", "--db", "{db}"},
       kUsage,
       "'no/slashes' is not a queue name"},
      {"resume an empty queue name", {"resume", "", "--db", "{db}"}, kUsage, "'' is not a queue name"},
      {"priority 10",
       {"enqueue", "TestJob", "--db", "{db}", "--priority", "10"},
       kUsage,
       "priority must be 0 (first) to 9 (last), not 10"},
      {"priority -1",
       {"enqueue", "TestJob", "--db", "{db}", "--priority", "-1"},
       kUsage,
       "priority must be 0 (first) to 9 (last), not -1"},
      {"priority not a number",
       {"enqueue", "TestJob", "--db", "{db}", "--priority", "high"},
       kUsage,
       "Could not convert: --priority = high"},
      {"max attempts 0",
       {"enqueue", "TestJob", "--db", "{db}", "--max-attempts", "0"},
       kUsage,
       "--max-attempts must be at least 1, not 0"},
      {"max attempts -3",
       {"enqueue", "TestJob", "--db", "{db}", "--max-attempts", "-3"},
       kUsage,
       "--max-attempts must be at least 1, not -3"},
      {"max attempts past int",
       {"enqueue", "TestJob", "--db", "{db}", "--max-attempts", "99999999999"},
       kUsage,
       "Could not convert: --max-attempts = 99999999999"},
      {"unique key empty",
       {"enqueue", "TestJob", "--db", "{db}", "--unique-key", ""},
       kUsage,
       "--unique-key is empty"},
      {"--at not a time",
       {"enqueue", "TestJob", "--db", "{db}", "--at", "tomorrow"},
       kUsage,
       "'tomorrow' is not an ISO-8601 time"},
      {"--at and --in together",
       {"enqueue", "TestJob", "--db", "{db}", "--at", "2030-01-01T00:00:00Z", "--in", "1m"},
       kUsage,
       "--in excludes --at"},
      {"demo multiple N not a number",
       {"demo", "multiple", "2x", "--db", "{db}"},
       kUsage,
       "N must be a whole number from 1 to 10000, not '2x'"},
      {"demo multiple N 0", {"demo", "multiple", "0", "--db", "{db}"}, kUsage, "not '0'"},
      {"demo multiple N 10001", {"demo", "multiple", "10001", "--db", "{db}"}, kUsage, "not '10001'"},
      {"demo unknown kind", {"demo", "huge", "--db", "{db}"}, kUsage, "kind: huge not in"},
      {"jobs unknown state",
       {"jobs", "--db", "{db}", "--state", "sleeping"},
       kUsage,
       "--state: sleeping not in"},
      {"jobs limit 0",
       {"jobs", "--db", "{db}", "--limit", "0"},
       kUsage,
       "--limit: Value 0 not in range 1 to 100000"},
      {"run queues not name:number",
       {"run", "--db", "{db}", "--queues", "default:ten"},
       kUsage,
       "--queues: 'default:ten' needs a number after ':'"},
      {"run queue concurrency 0",
       {"run", "--db", "{db}", "--queues", "default:0"},
       kUsage,
       "--queues: concurrency must be 1 to 1000"},
      {"run log level unknown",
       {"run", "--db", "{db}", "--log-level", "loud"},
       kUsage,
       "--log-level: 'loud' is not one of"},
      {"run http address without host",
       {"run", "--db", "{db}", "--http", "8080"},
       kUsage,
       "--http: expected ADDR:PORT, e.g. 127.0.0.1:8080"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) { scene.check_row(row); }
  }
}

TEST_CASE("bad input: malformed durations are refused with exit 2 by every flag that takes one") {
  Scene scene;
  // Each command line with "{d}" where the duration goes.
  const std::vector<std::pair<std::string, std::vector<std::string>>> flags = {
      {"enqueue --in", {"enqueue", "TestJob", "--db", "{db}", "--in", "{d}"}},
      {"run --grace", {"run", "--db", "{db}", "--grace", "{d}"}},
      {"prune --older-than", {"prune", "--db", "{db}", "--older-than", "{d}"}},
      {"watch --interval", {"watch", "1", "--db", "{db}", "--interval", "{d}"}},
      {"demo custom DURATION", {"demo", "custom", "{d}", "10s", "--db", "{db}"}},
      {"demo custom CHUNK", {"demo", "custom", "1m", "{d}", "--db", "{db}"}},
      {"demo multiple DURATION", {"demo", "multiple", "2", "{d}", "--db", "{db}"}},
  };
  const std::vector<std::pair<std::string, std::string>> values = {
      {"5x", "unknown unit"},
      {"-3s", "it is negative"},
      {"", "it is empty"},
      {"1e999s", "unknown unit"},
      {"99999999999999999999s", "too long"},
      {"1.5s", "unknown unit"},
      {"5s ", "expected a number"},
      {"s", "expected a number"},
  };
  for (const auto& [flag, args] : flags) {
    for (const auto& [value, why] : values) {
      DYNAMIC_SECTION(flag << " '" << value << "'") {
        std::vector<std::string> argv = args;
        std::replace(argv.begin(), argv.end(), std::string("{d}"), value);
        scene.check_row({flag, argv, kUsage, "invalid duration '" + value + "': " + why});
      }
    }
  }
  SECTION("watch --interval 0s") {
    scene.check_row(
        {"", {"watch", "1", "--db", "{db}", "--interval", "0s"}, kUsage, "--interval must be positive"});
  }
}

TEST_CASE("bad input: unknown commands and flags and missing values are refused with exit 2") {
  Scene scene;
  const std::vector<Row> rows = {
      {"unknown command",
       {"frobnicate", "--db", "{db}"},
       kUsage,
       "unknown command 'frobnicate' (commands: run, enqueue, demo, jobs, show, watch, cancel, retry, pause, "
       "resume, prune, stats)"},
      {"no command", {}, kUsage, "a command is required: run, enqueue"},
      {"unknown flag",
       {"enqueue", "TestJob", "--db", "{db}", "--bogus"},
       kUsage,
       "The following argument was not expected: --bogus"},
      {"unknown flag before the command",
       {"--bogus", "jobs", "--db", "{db}"},
       kUsage,
       "The following argument was not expected: --bogus"},
      {"extra argument",
       {"stats", "extra", "--db", "{db}"},
       kUsage,
       "The following argument was not expected: extra"},
      {"enqueue without a worker", {"enqueue", "--db", "{db}"}, kUsage, "worker is required"},
      {"--db without a value", {"jobs", "--db"}, kUsage, "--db: 1 required TEXT missing"},
      {"--db empty", {"jobs", "--db", ""}, kUsage, "--db is empty"},
      {"--args without a value",
       {"enqueue", "TestJob", "--db", "{db}", "--args"},
       kUsage,
       "--args: 1 required"},
      {"show without an id", {"show", "--db", "{db}"}, kUsage, "id is required"},
      {"pause without a queue", {"pause", "--db", "{db}"}, kUsage, "queue is required"},
      {"demo custom without its chunk",
       {"demo", "custom", "1m", "--db", "{db}"},
       kUsage,
       "usage: jobrunner demo custom DURATION CHUNK"},
      {"--lite with --db", {"run", "--lite", "--db", "{db}"}, kUsage, "--db excludes --lite"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) { scene.check_row(row); }
  }
}

TEST_CASE(
    "bad input: a job id that is not a number is refused with exit 2, one that does not exist with exit 1") {
  Scene scene;
  for (const std::string command : {"show", "cancel", "retry", "watch"}) {
    for (const std::string id : {"abc", "0", "-1", "1.5", "", "99999999999999999999", "0x10"}) {
      DYNAMIC_SECTION(command << " '" << id << "'") {
        scene.check_row({"", {command, id, "--db", "{db}"}, kUsage, "id: '" + id + "' is not a job id"});
      }
    }
    DYNAMIC_SECTION(command << " 999") {
      scene.check_row(
          {"",
           {command, "999", "--db", "{db}"},
           1,
           "no job 999 in " + scene.db + ": list jobs with `jobrunner jobs --db " + scene.db + "`"});
    }
  }
}

namespace {

// A --db that cannot be used: made by `make` in dir, refused by the commands in `commands` (every
// command when empty) with exit 3 and `message`. `as_nobody`: run as an unprivileged user, since
// root may write anywhere.
struct BadDatabase {
  std::string name;
  std::function<std::string(const TempDir&)> make;
  std::string message;
  std::vector<std::string> commands = {};
  bool as_nobody = false;
};

// The database commands, each with what it needs after --db.
const std::map<std::string, std::vector<std::string>> kDatabaseCommands = {
    {"enqueue", {"enqueue", "TestJob"}},
    {"demo", {"demo", "quick"}},
    {"run", {"run"}},
    {"jobs", {"jobs"}},
    {"show", {"show", "1"}},
    {"watch", {"watch", "1"}},
    {"cancel", {"cancel", "1"}},
    {"retry", {"retry", "1"}},
    {"pause", {"pause", "default"}},
    {"resume", {"resume", "default"}},
    {"prune", {"prune"}},
    {"stats", {"stats"}},
};
const std::vector<std::string> kReadCommands = {"jobs",  "show",   "watch", "cancel", "retry",
                                                "pause", "resume", "prune", "stats"};
const std::vector<std::string> kCreateCommands = {"enqueue", "demo", "run"};

// A database of `version` made by jobrunner-migrate, with two jobs, copied to dir/jobs.db. Each
// version is made once.
std::string database_at(const TempDir& dir, int version) {
  static const TempDir made_in;
  static std::map<int, std::string> made;
  if (!made.contains(version)) {
    const std::string path = made_in.file("v" + std::to_string(version) + ".db");
    Completed r = run_process(
        {JOBRUNNER_MIGRATE_BIN, "--db", path, "up", "--to", std::to_string(version), "--no-backup"});
    INFO(r.err);
    REQUIRE(r.status.exited_with(0));
    SQLite::Database(path, SQLite::OPEN_READWRITE)
        .exec(
            "INSERT INTO jobs (queue, worker, args, inserted_at, scheduled_at) VALUES "
            "('default', 'TestJob', '{}', 1, 1), ('default', 'TestJob', '{}', 2, 2)");
    made[version] = path;
  }
  fs::copy_file(made.at(version), dir.file("jobs.db"));
  return dir.file("jobs.db");
}

// Prefix that runs a program as nobody when this test runs as root; none otherwise.
std::vector<std::string> unprivileged() {
  if (geteuid() != 0) return {};
  return {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
}

}  // namespace

TEST_CASE("bad input: a --db that cannot be used is refused with exit 3 and left as it was") {
  const std::vector<BadDatabase> cases = {
      {"a directory",
       [](const TempDir& d) {
         fs::create_directory(d.file("data"));
         return d.file("data");
       },
       "is a directory: name a database file inside it, e.g. "},
      {"a file that is not SQLite",
       [](const TempDir& d) {
         write_file(d.file("notes.txt"), "not a database\n" + std::string(8192, 'x'));
         return d.file("notes.txt");
       },
       "is not a SQLite database (file is not a database); it was left untouched"},
      {"a truncated database",
       [](const TempDir& d) {
         const std::string db = database_at(d, kLatest);
         fs::resize_file(db, 3000);
         return db;
       },
       "is damaged (opening "},
      {"another application's database",
       [](const TempDir& d) {
         SQLite::Database(d.file("app.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE)
             .exec(
                 "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES "
                 "('a')");
         return d.file("app.db");
       },
       "is a SQLite database but not a jobrunner one (it has tables users); it was left untouched"},
      {"a newer schema",
       [](const TempDir& d) {
         const std::string db = database_at(d, kLatest);
         SQLite::Database(db, SQLite::OPEN_READWRITE)
             .exec("INSERT INTO jobrunner_migrations VALUES (99, 'from_the_future', 'x', 1)");
         return db;
       },
       "database schema is version 99, newer than this build's " + std::to_string(kLatest)},
      {"an older schema (without --migrate)", [](const TempDir& d) { return database_at(d, 1); },
       "database schema is version 1, this build needs " + std::to_string(kLatest) +
           ": run `jobrunner-migrate up`"},
      {"a FIFO",
       [](const TempDir& d) {
         REQUIRE(mkfifo(d.file("fifo").c_str(), 0600) == 0);
         return d.file("fifo");
       },
       "is not a regular file (a device, FIFO or socket)"},
      {"a device", [](const TempDir&) { return std::string("/dev/null"); },
       "--db /dev/null is not a regular file (a device, FIFO or socket)"},
      {"a missing file", [](const TempDir& d) { return d.file("missing.db"); }, "no database at ",
       kReadCommands},
      {"an empty file",
       [](const TempDir& d) {
         write_file(d.file("empty.db"), "");
         return d.file("empty.db");
       },
       "is empty: it holds no jobrunner database yet", kReadCommands},
      {"a path through a file",
       [](const TempDir& d) {
         write_file(d.file("notes.txt"), "x");
         return d.file("notes.txt/sub/jobs.db");
       },
       "cannot create the directory ", kCreateCommands},
      {"a database in a directory this user cannot write",
       [](const TempDir& d) {
         const std::string db = database_at(d, kLatest);
         fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                 fs::perms::group_write | fs::perms::others_read | fs::perms::others_write);
         fs::permissions(d.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                       fs::perms::others_read | fs::perms::others_exec);
         if (geteuid() != 0) fs::permissions(d.path(), fs::perms::owner_write, fs::perm_options::remove);
         return db;
       },
       "is not writable by this user, and SQLite keeps the database's -wal and -shm files beside it",
       {},
       true},
      {"a new database in a directory this user cannot write",
       [](const TempDir& d) {
         fs::permissions(d.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                       fs::perms::others_read | fs::perms::others_exec);
         if (geteuid() != 0) fs::permissions(d.path(), fs::perms::owner_write, fs::perm_options::remove);
         return d.file("new.db");
       },
       "is not writable by this user", kCreateCommands, true},
      {"a database file this user cannot write",
       [](const TempDir& d) {
         const std::string db = database_at(d, kLatest);
         fs::permissions(d.path(), fs::perms::all);
         fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
         return db;
       },
       "it is not readable and writable by this user",
       {},
       true},
  };
  for (const BadDatabase& c : cases) {
    const std::vector<std::string> commands = [&] {
      if (!c.commands.empty()) return c.commands;
      std::vector<std::string> all;
      for (const auto& [name, args] : kDatabaseCommands) all.push_back(name);
      return all;
    }();
    for (const std::string& command : commands) {
      DYNAMIC_SECTION(c.name << ": " << command) {
        TempDir dir;
        const std::string db = c.make(dir);
        const auto before = files_in(dir.path());
        std::vector<std::string> argv = c.as_nobody ? unprivileged() : std::vector<std::string>{};
        argv.push_back(JOBRUNNER_BIN);
        for (const std::string& a : kDatabaseCommands.at(command)) argv.push_back(a);
        argv.insert(argv.end(), {"--db", db});
        check_refused(run_tool(argv), "jobrunner", kDatabase, c.message);
        CHECK(files_in(dir.path()) == before);
        fs::permissions(dir.path(), fs::perms::owner_all);  // so that it can be removed
      }
    }
  }
}

TEST_CASE(
    "bad input: jobrunner-migrate refuses a bad target version with exit 2 and a bad --db with exit 3") {
  struct MigrateRow {
    std::string name;
    std::vector<std::string> args;  // after --db {db}
    int code;
    std::string message;
    std::function<std::string(const TempDir&)> make = [](const TempDir& d) {
      return database_at(d, kLatest);
    };
  };
  const std::vector<MigrateRow> rows = {
      {"up to a version this build does not know",
       {"up", "--to", "99"},
       kUsage,
       "cannot migrate up to version 99: this build knows 1 to " + std::to_string(kLatest)},
      {"up to a negative version", {"up", "--to", "-1"}, kUsage, "cannot migrate up to version -1"},
      {"up to a version that is not a number",
       {"up", "--to", "latest"},
       kUsage,
       "Could not convert: --to = latest"},
      {"down to a version above the database's",
       {"down", "--to", "99"},
       kUsage,
       "--to 99 is above the database's version " + std::to_string(kLatest)},
      {"down to a negative version",
       {"down", "--to", "-1"},
       kUsage,
       "cannot migrate down to a negative version"},
      {"down without --to", {"down"}, kUsage, "--to is required"},
      {"a negative busy timeout",
       {"--busy-timeout", "-1", "status"},
       kUsage,
       "--busy-timeout: Value -1 not in range"},
      {"unknown command", {"frobnicate"}, kUsage, "unknown command 'frobnicate' (commands: status, validate"},
      {"unknown flag", {"status", "--bogus"}, kUsage, "The following argument was not expected: --bogus"},
      {"--db a directory",
       {"status"},
       kDatabase,
       "is a directory",
       [](const TempDir& d) {
         fs::create_directory(d.file("data"));
         return d.file("data");
       }},
      {"--db not SQLite",
       {"up"},
       kDatabase,
       "is not a SQLite database",
       [](const TempDir& d) {
         write_file(d.file("notes.txt"), "not a database\n" + std::string(8192, 'x'));
         return d.file("notes.txt");
       }},
      {"--db missing",
       {"status"},
       kDatabase,
       "does not exist: it holds no jobrunner database",
       [](const TempDir& d) { return d.file("missing.db"); }},
      {"--db a FIFO",
       {"up"},
       kDatabase,
       "is not a regular file",
       [](const TempDir& d) {
         REQUIRE(mkfifo(d.file("fifo").c_str(), 0600) == 0);
         return d.file("fifo");
       }},
      {"--db a newer schema",
       {"up"},
       kDatabase,
       "newer than this build's " + std::to_string(kLatest),
       [](const TempDir& d) {
         const std::string db = database_at(d, kLatest);
         SQLite::Database(db, SQLite::OPEN_READWRITE)
             .exec("INSERT INTO jobrunner_migrations VALUES (99, 'from_the_future', 'x', 1)");
         return db;
       }},
  };
  for (const MigrateRow& row : rows) {
    DYNAMIC_SECTION(row.name) {
      TempDir dir;
      const std::string db = row.make(dir);
      const auto before = files_in(dir.path());
      std::vector<std::string> argv{JOBRUNNER_MIGRATE_BIN, "--db", db};
      argv.insert(argv.end(), row.args.begin(), row.args.end());
      check_refused(run_tool(argv), "jobrunner-migrate", row.code, row.message);
      CHECK(files_in(dir.path()) == before);
    }
  }
}

TEST_CASE("bad input: args at the limits are accepted, so the limits are where the catalogue says") {
  Scene scene;
  write_file(scene.dir.file("big.json"),
             R"({"a":")" + std::string(kMaxArgsBytes - std::string(R"({"a":""})").size(), 'x') + R"("})");
  Completed deep = jobrunner({"enqueue", "TestJob", "--db", scene.db, "--args", nested_args(kMaxJsonDepth)});
  INFO(deep.err);
  CHECK(deep.status.exited_with(0));
  Completed big =
      jobrunner({"enqueue", "TestJob", "--db", scene.db, "--args-file", scene.dir.file("big.json")});
  INFO(big.err);
  CHECK(big.status.exited_with(0));
  CHECK(job_count(scene.db) == 4);
}

}  // namespace jobrunner::testing
