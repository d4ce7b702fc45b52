// A Fly.io machine stop, simulated on a real daemon: the signal (kill_signal, SIGTERM in our
// fly.toml; SIGINT is Fly's default), then after kill_timeout a SIGKILL for whatever still runs.
#include <catch2/catch.hpp>
#include <csignal>

#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

std::vector<JobId> enqueue_jobs(const std::string& db, int n, const json& args) {
  std::vector<JobId> ids;
  for (int i = 0; i < n; ++i) ids.push_back(enqueue_test_job(db, args));
  return ids;
}

bool all_have_progress(Engine& engine, const std::vector<JobId>& ids, std::int64_t done) {
  for (JobId id : ids) {
    Job job = job_in(engine, id);
    if (!job.progress || job.progress->done < done) return false;
  }
  return true;
}

bool all_completed(Engine& engine, const std::vector<JobId>& ids) {
  for (JobId id : ids) {
    if (job_in(engine, id).state != JobState::completed) return false;
  }
  return true;
}

}  // namespace

TEST_CASE(
    "a stop signal drains the daemon within its grace, and jobs left with their checkpoints finish on the "
    "next start") {
  auto [sig, name] = GENERATE(std::pair{SIGTERM, "SIGTERM"}, std::pair{SIGINT, "SIGINT"});
  INFO(name);
  TempDir dir;
  std::string db = dir.file("jobs.db");
  const auto grace = 2s;
  std::vector<JobId> ids = enqueue_jobs(db, 3, {{"duration_ms", 2'000}, {"chunk_ms", 200}});
  auto engine = open_database(db);
  {
    Daemon daemon(db, {"--grace", "2s"});
    REQUIRE(eventually([&] { return all_have_progress(*engine, ids, 1); }, 10s));
    auto signalled = std::chrono::steady_clock::now();
    auto exit = daemon.stop(sig, grace + 1s);
    auto took = std::chrono::steady_clock::now() - signalled;
    INFO(daemon.process().out());
    REQUIRE(exit.has_value());
    CHECK(exit->exited_with(0));
    CHECK(took < grace);
    CHECK_THAT(daemon.process().out(), Catch::Contains(std::string("Received ") + name) &&
                                           Catch::Contains("interrupted 3, released 0"));
  }
  for (JobId id : ids) {
    Job job = job_in(*engine, id);
    CHECK(job.state == JobState::available);
    CHECK(job.attempt == 0);  // an interruption gives its attempt back
    CHECK_FALSE(job.checkpoint.is_null());
    REQUIRE(job.progress.has_value());
    CHECK(job.progress->done >= 1);
    CHECK(job.progress->done < job.progress->total);
  }

  Daemon again(db, {"--grace", "2s"});
  REQUIRE(eventually([&] { return all_completed(*engine, ids); }, 10s));
  for (JobId id : ids) {
    Job job = job_in(*engine, id);
    CHECK(job.result["interruptions"] == 1);
    CHECK(job.result["resumed_from_chunk"] > 1);
    CHECK(job.result["chunks_completed"] == 10);
  }
  CHECK(again.stop(sig, 10s).value_or(ExitStatus{}).exited_with(0));
}

TEST_CASE(
    "past kill_timeout a SIGKILL leaves the job executing, and the next start rescues it and resumes from "
    "its "
    "checkpoint") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  // Each chunk takes 1.5 s and a graceful stop waits for the chunk in flight: for the kill_timeout
  // below, this job ignores the stop.
  JobId id = enqueue_test_job(db, {{"duration_ms", 3'000}, {"chunk_ms", 1'500}});
  auto engine = open_database(db);
  const auto kill_timeout = 300ms;
  {
    Daemon daemon(db, {"--grace", "1m"});
    REQUIRE(eventually([&] { return all_have_progress(*engine, {id}, 1); }, 10s));
    daemon.process().signal(SIGTERM);
    REQUIRE(daemon.process().wait_for_stdout("Received SIGTERM", 5s));
    CHECK_FALSE(daemon.process().wait_for_exit(kill_timeout).has_value());
    auto exit = daemon.stop(SIGKILL, 5s);
    REQUIRE(exit.has_value());
    CHECK(exit->signal == SIGKILL);
  }
  Job killed = job_in(*engine, id);
  CHECK(killed.state == JobState::executing);
  REQUIRE(killed.progress.has_value());
  CHECK(killed.progress->done == 1);

  Daemon again(db);
  REQUIRE(again.process().wait_for_stdout("Rescued 1 orphaned job", 5s));
  REQUIRE(eventually([&] { return all_completed(*engine, {id}); }, 10s));
  Job done = job_in(*engine, id);
  CHECK(done.attempt == 2);  // a crash spends its attempt
  CHECK(done.result["resumed_from_chunk"] == 2);
  CHECK(done.result["chunks_completed"] == 2);
  CHECK(again.stop(SIGTERM, 10s).value_or(ExitStatus{}).exited_with(0));
}

}  // namespace jobrunner::testing
