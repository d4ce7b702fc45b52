// Conformance: graceful shutdown, the grace deadline, checkpoints and resume, and rescue of orphans —
// the same over both engines. TestJob's chunks sleep on the fake clock, so a test moves a job chunk
// by chunk.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <set>

#include "support/runner_harness.h"
#include "workers/test_job.h"

namespace jobrunner::testing {
namespace {

constexpr Millis kChunk{100};

template <class H>
Job insert_test_job(H& h, json extra = json::object()) {
  NewJob job = workers::test_job_custom(Millis(1'000), kChunk);  // 10 chunks
  job.args.update(extra);
  auto r = h.runner().insert(job);
  REQUIRE(r.is_ok());
  return r->job;
}

// Lets the job's current chunk finish and waits for its checkpoint.
template <class H>
void finish_chunk(H& h, int checkpoints_so_far) {
  finish_test_job_chunk(h, kChunk, checkpoints_so_far);
}

}  // namespace

#define RUNNER_TEST(name) \
  TEMPLATE_TEST_CASE(name, "[conformance][shutdown][concurrency]", LiteEngineFixture, DurableEngineFixture)

RUNNER_TEST(
    "a job stopped mid-run goes back to available, attempt not spent, and resumes at its next chunk") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = insert_test_job(h);
  for (int i = 0; i < 3; ++i) finish_chunk(h, i);
  REQUIRE(h.f.clock->wait_for_sleepers(1));  // chunk 4 is under way

  auto stopping = std::async(std::launch::async, [&] { return h.runner().stop(Millis(60'000)); });
  REQUIRE(h.events->wait_for(EventKind::runner_draining));
  h.f.clock->advance(kChunk);  // the chunk in flight finishes and is saved
  StopReport report = stopping.get();
  CHECK(report.interrupted == 1);
  CHECK(report.released == 0);

  Job stopped = h.get(job.id);
  CHECK(stopped.state == JobState::available);
  CHECK(stopped.attempt == 0);
  CHECK(stopped.checkpoint.at("next_chunk") == 4);
  REQUIRE(stopped.progress);
  CHECK(*stopped.progress == Progress{4, 10});
  CHECK_FALSE(stopped.lease);

  h.restart();
  for (int i = 4; i < 10; ++i) finish_chunk(h, i);
  REQUIRE(h.wait_stopped(job.id, 2));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.attempt == 1);
  CHECK(done.result.at("chunks_completed") == 10);
  CHECK(done.result.at("interruptions") == 1);
  CHECK(done.result.at("resumed_from_chunk") == 5);
  CHECK(test_job_chunk_numbers(done.result) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

RUNNER_TEST(
    "a job still running at the deadline is released, its late writes are rejected and it completes once") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));

  StopReport report = h.runner().stop(Millis(0));
  CHECK(report.released == 1);
  Job released = h.get(job.id);
  CHECK(released.state == JobState::available);
  CHECK(released.attempt == 0);
  CHECK_FALSE(released.lease);

  h.probe->open_gate();  // the worker wakes, saves a checkpoint and completes, all too late
  REQUIRE(h.wait_stopped(job.id));
  CHECK(h.events->count(EventKind::job_stale, job.id) == 1);  // the checkpoint
  CHECK(h.events->records().back().stale);                    // and the outcome
  Job after = h.get(job.id);
  CHECK(after.state == JobState::available);
  CHECK(after.checkpoint.is_null());
  CHECK(after.result.is_null());

  h.restart();
  REQUIRE(h.wait_stopped(job.id, 2));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.result == json{{"checkpoint_saved", true}});
  CHECK(h.probe->starts(job.id) == 2);
}

RUNNER_TEST("a second stop skips the rest of the grace period") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));
  auto stopping = std::async(std::launch::async, [&] { return h.runner().stop(Millis(3'600'000)); });
  REQUIRE(h.events->wait_for(EventKind::runner_draining));
  h.runner().request_stop();
  StopReport report = stopping.get();
  CHECK(report.released == 1);
  CHECK(h.get(job.id).state == JobState::available);
  h.probe->open_gate();
}

RUNNER_TEST("two stop requests in quick succession skip the grace period") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));
  h.runner().request_stop();
  h.runner().request_stop();
  StopReport report = h.runner().wait();
  CHECK(report.released == 1);
  h.probe->open_gate();
}

RUNNER_TEST("the stop report counts interrupted and released jobs at the one deadline") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job polite = h.insert({{"do", "wait_stop"}});
  Job stubborn = h.insert({{"do", "ignore_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 2));
  auto stopping = std::async(std::launch::async, [&] { return h.runner().stop(Millis(10'000)); });
  REQUIRE(h.wait_stopped(polite.id));
  h.f.clock->advance(Millis(10'000));
  StopReport report = stopping.get();
  CHECK(report.interrupted == 1);
  CHECK(report.released == 1);
  CHECK(report.completed == 0);
  CHECK(h.get(polite.id).state == JobState::available);
  CHECK(h.get(stubborn.id).state == JobState::available);
  h.probe->open_gate();
}

RUNNER_TEST("a TestJob told to complete on shutdown finishes with its partial result") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = insert_test_job(h, {{"on_shutdown", "complete"}});
  for (int i = 0; i < 2; ++i) finish_chunk(h, i);
  REQUIRE(h.f.clock->wait_for_sleepers(1));
  auto stopping = std::async(std::launch::async, [&] { return h.runner().stop(Millis(60'000)); });
  REQUIRE(h.events->wait_for(EventKind::runner_draining));
  h.f.clock->advance(kChunk);
  StopReport report = stopping.get();
  CHECK(report.completed == 1);
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.result.at("status") == "shutdown_gracefully");
  CHECK(done.result.at("chunks_completed") == 3);
}

RUNNER_TEST("jobs left executing by a runner that is gone are rescued at start, spending the attempt") {
  RunnerHarness<TestType> h;
  Job job = h.insert({{"do", "ok"}});
  auto claimed = h.f.engine->job_claim({"default", 1, "ghost", h.f.now(), Millis(3'600'000)});
  REQUIRE(claimed.is_ok());
  REQUIRE(claimed->size() == 1);

  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(waitpid(child, nullptr, 0) == child);  // the ghost's pid is now free
  RunnerInfo ghost;
  ghost.id = "ghost";
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  ghost.host = host;
  std::ifstream("/proc/sys/kernel/random/boot_id") >> ghost.boot_id;
  ghost.pid = child;
  REQUIRE(h.f.engine->runner_register(ghost).is_ok());

  REQUIRE(h.runner().start().is_ok());
  REQUIRE(h.wait_stopped(job.id));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.attempt == 2);
  REQUIRE(done.errors.size() == 1);
  CHECK(h.events->count(EventKind::jobs_rescued) == 1);
}

}  // namespace jobrunner::testing
