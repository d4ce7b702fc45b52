// TestJob, run inline with the testing helpers: its result, its checkpoints, and how it resumes.
#include "workers/test_job.h"

#include <catch2/catch.hpp>

#include "jobrunner/testing.h"

namespace jobrunner::testing {

namespace {

using workers::TestJob;

const json kThreeChunks = {{"duration_ms", 30}, {"chunk_ms", 10}};

PerformOptions stop_after(int checkpoints, StopReason reason = StopReason::shutdown) {
  PerformOptions o;
  o.stop_after_checkpoints = checkpoints;
  o.stop_reason = reason;
  return o;
}

}  // namespace

TEST_CASE("TestJob completes every chunk with a checkpoint after each and a detailed result") {
  Performed run = perform_job<TestJob>(kThreeChunks);
  CHECK(run.outcome.kind() == Outcome::Kind::ok);
  CHECK(run.job.state == JobState::completed);
  CHECK(run.checkpoints.size() == 3);
  CHECK(run.job.progress == Progress{3, 3});
  CHECK(run.job.result["status"] == "completed");
  CHECK(run.job.result["chunks_completed"] == 3);
  CHECK(run.job.result["interruptions"] == 0);
  CHECK(run.job.result["details"].size() == 3);
}

TEST_CASE("TestJob stopped by a shutdown after two chunks resumes from the third") {
  Performed first = perform_job<TestJob>(kThreeChunks, stop_after(2));
  CHECK(first.outcome.kind() == Outcome::Kind::interrupted);
  CHECK(first.job.state == JobState::available);
  CHECK(first.job.attempt == 0);
  CHECK(first.job.checkpoint["next_chunk"] == 2);

  PerformOptions resume;
  resume.checkpoint = first.job.checkpoint;
  Performed second = perform_job<TestJob>(kThreeChunks, resume);
  CHECK(second.outcome.kind() == Outcome::Kind::ok);
  CHECK(second.checkpoints.size() == 1);
  CHECK(second.job.result["chunks_completed"] == 3);
  CHECK(second.job.result["interruptions"] == 1);
  CHECK(second.job.result["resumed_from_chunk"] == 3);
}

TEST_CASE("TestJob told to complete on shutdown completes with its partial result") {
  json args = kThreeChunks;
  args["on_shutdown"] = "complete";
  Performed run = perform_job<TestJob>(args, stop_after(1));
  CHECK(run.job.state == JobState::completed);
  CHECK(run.job.result["status"] == "shutdown_gracefully");
  CHECK(run.job.result["chunks_completed"] == 1);
}

TEST_CASE("TestJob past its timeout fails the attempt and keeps its checkpoint") {
  Performed run = perform_job<TestJob>(kThreeChunks, stop_after(1, StopReason::timeout));
  CHECK(run.job.state == JobState::retryable);
  REQUIRE(run.job.errors.size() == 1);
  CHECK_THAT(run.job.errors[0].message, Catch::StartsWith("timed out"));
  CHECK(run.job.checkpoint["next_chunk"] == 1);
}

TEST_CASE("TestJob with bad args fails, and is discarded on its last attempt") {
  PerformOptions last;
  last.max_attempts = 1;
  Performed run = perform_job<TestJob>({{"duration_ms", "long"}}, last);
  CHECK(run.outcome.kind() == Outcome::Kind::error);
  CHECK(run.outcome.message() == "duration_ms must be a number");
  CHECK(run.job.state == JobState::discarded);
}

}  // namespace jobrunner::testing
