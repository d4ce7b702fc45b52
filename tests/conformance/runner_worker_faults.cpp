// Conformance: workers that misbehave — throw something that is not a std::exception, return a
// result or save a checkpoint that is not valid JSON text, ignore their timeout, write after losing
// their lease. Each is recorded as it should be, over both engines, and the runner stays healthy:
// the next job runs fine.
#include "support/runner_harness.h"

namespace jobrunner::testing {
namespace {

template <class H>
void require_next_job_runs(H& h) {
  Job done = h.run_once({{"do", "ok"}, {"result", "fine"}});
  CHECK(done.state == JobState::completed);
  CHECK(done.result == "fine");
}

}  // namespace

#define RUNNER_TEST(name) \
  TEMPLATE_TEST_CASE(name, "[conformance][runner][faults]", LiteEngineFixture, DurableEngineFixture)

RUNNER_TEST(
    "a worker that throws something other than a std::exception is recorded as an error that says so") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job failed = h.run_once({{"do", "throw_other"}});
  CHECK(failed.state == JobState::retryable);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message == "the worker threw an exception that is not a std::exception");
  CHECK(h.events->count(EventKind::job_exception, failed.id) == 1);
  require_next_job_runs(h);
}

RUNNER_TEST("a result that cannot be stored as JSON ends the attempt as an error that says why") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job failed = h.run_once({{"do", "bad_result"}});
  CHECK(failed.state == JobState::retryable);
  CHECK(failed.result.is_null());
  REQUIRE(failed.errors.size() == 1);
  CHECK_THAT(failed.errors[0].message, Catch::StartsWith("the worker's result cannot be stored as JSON"));
  CHECK_THAT(failed.errors[0].message, Catch::Contains("invalid UTF-8"));
  CHECK(h.events->last_end(failed.id).value().outcome == Outcome::Kind::error);
  require_next_job_runs(h);
}

RUNNER_TEST(
    "a checkpoint that cannot be stored as JSON is refused with invalid_argument, the last one kept") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job done = h.run_once({{"do", "bad_checkpoint"}});
  auto told = h.probe->last_save(done.id);
  REQUIRE(told);
  CHECK(told->code() == StatusCode::invalid_argument);
  CHECK_THAT(told->message(), Catch::Contains("cannot be stored as JSON"));
  CHECK(done.state == JobState::completed);
  CHECK(done.checkpoint.is_null());
  CHECK(h.events->count(EventKind::checkpoint_saved, done.id) == 0);
  require_next_job_runs(h);
}

RUNNER_TEST(
    "a worker that ignores its timeout has the attempt recorded as an error when it passes, and its late "
    "writes are rejected") {
  WorkerOptions o;
  o.timeout = Millis(30'000);
  RunnerHarness<TestType> h(10, o, Millis(10'000));
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));

  h.f.clock->advance(Millis(30'000));
  REQUIRE(h.wait_stopped(job.id));  // recorded at the timeout, while the worker still runs
  auto timed_out = h.events->last_end(job.id);
  REQUIRE(timed_out);
  CHECK(timed_out->stop_reason == StopReason::timeout);
  CHECK_FALSE(timed_out->stale);
  Job failed = h.get(job.id);
  CHECK(failed.state == JobState::retryable);
  CHECK_FALSE(failed.lease);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message == "timed out after 30000 ms");
  require_next_job_runs(h);  // the stuck worker holds one executor, not the runner

  h.probe->open_gate();  // the worker wakes, saves a checkpoint and returns ok, all too late
  REQUIRE(h.wait_stopped(job.id, 2));
  CHECK(h.events->last_end(job.id).value().stale);
  REQUIRE(h.probe->last_save(job.id));
  CHECK(h.probe->last_save(job.id)->code() == StatusCode::stale_lease);
  Job after = h.get(job.id);
  CHECK(after.state == JobState::retryable);
  CHECK(after.checkpoint.is_null());
  CHECK(after.result.is_null());
  CHECK(after.errors.size() == 1);

  h.f.clock->advance(Millis(10'000));  // its backoff: the retry runs (the gate is open) and completes
  REQUIRE(h.wait_stopped(job.id, 3));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.attempt == 2);
  CHECK(done.result == json{{"checkpoint_saved", true}});
}

RUNNER_TEST("a checkpoint saved after the job lost its lease gets stale_lease and saves nothing") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));

  // Another runner's rescuer finds the lease expired and takes the job; the queue is paused so
  // that this runner does not claim it again at once.
  REQUIRE(h.runner().pause("default").is_ok());
  auto rescued = h.f.engine->job_rescue({.now = h.f.now() + 3'600'000});
  REQUIRE(rescued.is_ok());
  CHECK(rescued->rescued == 1);

  h.probe->open_gate();
  REQUIRE(h.wait_stopped(job.id));
  REQUIRE(h.probe->last_save(job.id));
  CHECK(h.probe->last_save(job.id)->code() == StatusCode::stale_lease);
  CHECK(h.events->count(EventKind::job_stale, job.id) == 1);
  CHECK(h.events->last_end(job.id).value().stale);
  Job after = h.get(job.id);
  CHECK(after.state == JobState::available);
  CHECK(after.checkpoint.is_null());
  CHECK_FALSE(after.progress);
  CHECK(after.result.is_null());

  REQUIRE(h.runner().resume("default").is_ok());
  REQUIRE(h.wait_stopped(job.id, 2));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.checkpoint == json{{"late", true}});
  CHECK(done.result == json{{"checkpoint_saved", true}});
  CHECK(h.probe->starts(job.id) == 2);
}

}  // namespace jobrunner::testing
