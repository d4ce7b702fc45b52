// Conformance: how the Runner writes the ends of runs. The durable engine's writes are gathered by
// the group commit (a commit costs the same for one finish as for many); the lite engine commits
// nothing, so each executor writes its own finish, and the job claimed with it is its next one.
#include "support/recording_engine.h"
#include "support/runner_harness.h"

namespace jobrunner::testing {

constexpr int kJobs = 200;

// Puts a RecordingEngine in front of the harness's engine, inserts kJobs jobs that succeed at once,
// runs them all with a fresh runner of 4 executors and stops it. Returns the recording.
template <class H>
std::shared_ptr<RecordingEngine> run_jobs_that_succeed(H& h) {
  auto recording = std::make_shared<RecordingEngine>(h.f.engine);
  h.f.engine = recording;
  std::vector<NewJob> jobs(kJobs);
  for (NewJob& job : jobs) {
    job.worker = kScripted;
    job.queue = "default";
    job.max_attempts = 5;
    job.args = {{"do", "ok"}};
  }
  REQUIRE(h.f.engine->job_insert_many(jobs, h.f.now()).is_ok());
  h.restart();
  REQUIRE(h.events->wait_for(EventKind::job_stop, kJobs));
  h.runner().stop();
  return recording;
}

TEMPLATE_TEST_CASE("every end of a run is written once, and no write is made with nothing in it",
                   "[conformance][runner][concurrency]", LiteEngineFixture, DurableEngineFixture) {
  RunnerHarness<TestType> h(4);
  auto recording = run_jobs_that_succeed(h);

  std::size_t written = 0;
  for (std::size_t n : recording->finish_writes()) {
    CHECK(n > 0);  // a stop with nothing running has nothing to give back
    written += n;
  }
  CHECK(written == kJobs);
  JobFilter completed;
  completed.states = {JobState::completed};
  auto counts = h.f.engine->job_count(completed);
  REQUIRE(counts.is_ok());
  REQUIRE(counts->size() == 1);
  CHECK(counts->front().count == kJobs);
}

TEST_CASE("lite: each executor writes the end of its own run, one finish to a write",
          "[conformance][runner][concurrency]") {
  RunnerHarness<LiteEngineFixture> h(4);
  auto recording = run_jobs_that_succeed(h);
  REQUIRE_FALSE(recording->commits_to_storage());

  const std::vector<std::size_t> writes = recording->finish_writes();
  CHECK(writes.size() == kJobs);
  for (std::size_t n : writes) CHECK(n == 1);
  CHECK(h.probe->max_concurrent() <= 4);
}

}  // namespace jobrunner::testing
