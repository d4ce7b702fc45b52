// How the jobrunner binary chooses SQLite's synchronous level: `run --synchronous`, else
// $JOBRUNNER_SYNCHRONOUS, else normal. A value other than normal or full is a usage error that
// creates and changes nothing.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

TEST_CASE("run --synchronous full names the level it opened the database with, and runs jobs") {
  TempDir dir;
  const std::string db = dir.file("jobs.db");
  const JobId id = enqueue_test_job(db, {{"duration_ms", 30}, {"chunk_ms", 10}});
  Daemon daemon(db, {"--synchronous", "full"});
  CHECK_THAT(daemon.process().out(), Catch::Contains("at " + db + " (synchronous full)"));
  auto engine = open_database(db);
  CHECK(eventually([&] { return job_in(*engine, id).state == JobState::completed; }, 10s));
  auto status = daemon.stop(SIGTERM, 10s);
  REQUIRE(status);
  CHECK(status->exited_with(0));
}

TEST_CASE("run takes its synchronous level from $JOBRUNNER_SYNCHRONOUS, and is normal without it") {
  TempDir dir;
  const std::string db = dir.file("jobs.db");
  const auto [value, shown] =
      GENERATE(std::pair<std::optional<std::string>, std::string>{"full", "full"},
               std::pair<std::optional<std::string>, std::string>{std::nullopt, "normal"});
  Process daemon({JOBRUNNER_BIN, "run", "--db", db}, {{"JOBRUNNER_SYNCHRONOUS", value}});
  INFO("stdout: " << daemon.out() << "\nstderr: " << daemon.err());
  CHECK(daemon.wait_for_stdout("(synchronous " + shown + ")", 10s));
  daemon.signal(SIGTERM);
  auto status = daemon.wait_for_exit(10s);
  REQUIRE(status);
  CHECK(status->exited_with(0));
}

TEST_CASE("a synchronous level other than normal or full is a usage error that creates no database") {
  TempDir dir;
  const std::string db = dir.file("jobs.db");

  Completed flag = jobrunner({"run", "--db", db, "--synchronous", "sometimes"});
  CHECK(flag.status.exited_with(2));
  CHECK_THAT(flag.err, Catch::Contains("--synchronous: 'sometimes' is not normal or full"));

  Completed env = jobrunner({"enqueue", "TestJob", "--db", db}, {{"JOBRUNNER_SYNCHRONOUS", "FULLY"}});
  CHECK(env.status.exited_with(2));
  CHECK_THAT(env.err, Catch::Contains("JOBRUNNER_SYNCHRONOUS: 'FULLY' is not normal or full"));

  CHECK_FALSE(std::filesystem::exists(db));
}

}  // namespace jobrunner::testing
