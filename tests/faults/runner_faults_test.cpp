// A Runner over the durable engine while SQLite fails its writes (tests/support/fault_vfs.h): what
// a worker returned is recorded once the database takes writes again, or the job is rescued — never
// lost, never completed without its result — and the runner keeps running throughout.
#include <catch2/catch.hpp>

#include "support/fault_vfs.h"
#include "support/log_capture.h"
#include "support/runner_harness.h"
#include "workers/test_job.h"

namespace jobrunner::testing {
namespace {

constexpr Millis kChunk{100};

// A runner harness over a durable engine whose connections go through the fault VFS, logging into
// a capture. The fault is cleared when the test case ends, whatever happened.
struct FaultyRunner {
  FaultyRunner() : vfs(install_first()) { h.use_logger(log.logger()); }
  ~FaultyRunner() { vfs.clear(); }

  // The VFS must be the default before the harness opens its engine.
  static FaultVfs& install_first() { return FaultVfs::install(); }

  // Starts the runner and a job that returns ok with result {"answer": 42} once every write to the
  // WAL fails, so that its completion cannot be committed.
  Job completing_with_writes_failing() {
    REQUIRE(h.runner().start().is_ok());
    Job job = h.insert({{"do", "wait_gate"}, {"result", {{"answer", 42}}}});
    REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));
    vfs.arm({.file = FaultFile::wal});
    h.probe->open_gate();
    return job;
  }

  FaultVfs& vfs;
  RunnerHarness<DurableEngineFixture> h;
  LogCapture log;
};

// Lets the job's current chunk finish and waits for its checkpoint.
template <class H>
void finish_chunk(H& h, int checkpoints_so_far) {
  finish_test_job_chunk(h, kChunk, checkpoints_so_far);
}

}  // namespace

TEST_CASE(
    "a completion whose commit fails is tried again until it is recorded, once, with the worker's result",
    "[faults][runner]") {
  FaultyRunner t;
  auto& h = t.h;
  const Job job = t.completing_with_writes_failing();
  REQUIRE(t.vfs.wait_for_failures(3));
  Job held = h.get(job.id);
  CHECK(held.state == JobState::executing);
  CHECK(held.lease);
  CHECK(held.result.is_null());
  CHECK(t.log.count("recording the end of job " + std::to_string(job.id) + " failed", spdlog::level::warn) >=
        1);

  t.vfs.clear();
  REQUIRE(h.wait_stopped(job.id));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.result == json{{"answer", 42}});
  CHECK(done.attempt == 1);
  CHECK(done.errors.empty());
  CHECK(h.probe->starts(job.id) == 1);
  CHECK_FALSE(h.events->last_end(job.id).value().stale);

  Job next = h.insert({{"do", "ok"}});
  REQUIRE(h.wait_stopped(next.id));
  CHECK(h.get(next.id).state == JobState::completed);
}

TEST_CASE(
    "a completion still failing at the shutdown deadline stays executing, unfinished, and is rescued later",
    "[faults][runner]") {
  FaultyRunner t;
  auto& h = t.h;
  const Job job = t.completing_with_writes_failing();
  REQUIRE(t.vfs.wait_for_failures(1));
  StopReport report = h.runner().stop(Millis(0));
  CHECK(report.released == 1);
  REQUIRE(h.wait_stopped(job.id));
  CHECK(h.events->last_end(job.id).value().stale);  // the worker's ok was not recorded
  CHECK(t.log.wait_for("stays executing until its lease expires", spdlog::level::err));
  Job left = h.get(job.id);
  CHECK(left.state == JobState::executing);
  CHECK(left.result.is_null());
  CHECK_FALSE(left.finished_at);

  // The old runner's registration could not be removed either: its process (this one) is alive, so
  // its job is rescued once the lease expires.
  t.vfs.clear();
  h.restart();
  h.f.clock->advance(Millis(31'000));
  REQUIRE(h.wait_stopped(job.id, 2));
  Job done = h.get(job.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.result == json{{"answer", 42}});
  CHECK(done.attempt == 2);
  REQUIRE(done.errors.size() == 1);
  CHECK_THAT(done.errors[0].message, Catch::Contains("expired"));
  CHECK(h.probe->starts(job.id) == 2);
}

TEST_CASE(
    "on a full disk inserts fail with disk_full, a running job keeps its last checkpoint, and the runner "
    "recovers when space returns",
    "[faults][runner]") {
  FaultyRunner t;
  auto& h = t.h;
  REQUIRE(h.runner().start().is_ok());
  auto chunked = h.runner().insert(workers::test_job_custom(Millis(1'000), kChunk));  // 10 chunks
  REQUIRE(chunked.is_ok());
  const JobId id = chunked->job.id;
  finish_chunk(h, 0);
  finish_chunk(h, 1);
  REQUIRE(h.f.clock->wait_for_sleepers(1));  // chunk 3 is under way

  t.vfs.arm({.error = FaultError::disk_full});
  NewJob refused;
  refused.worker = kScripted;
  auto inserted = h.runner().insert(refused);
  CHECK(inserted.status().code() == StatusCode::disk_full);
  CHECK_THAT(inserted.status().message(), Catch::Contains("database or disk is full"));

  h.f.clock->advance(kChunk);  // chunk 3 ends; its checkpoint cannot be saved, nor the failed attempt
  REQUIRE(t.log.wait_for("recording the end of job " + std::to_string(id) + " failed", spdlog::level::warn));
  CHECK(t.log.wait_for("heartbeat failed: disk full", spdlog::level::warn));  // the ticker kept going
  Job kept = h.get(id);
  CHECK(kept.state == JobState::executing);
  CHECK(kept.checkpoint.at("next_chunk") == 2);
  CHECK(kept.progress == Progress{2, 10});
  CHECK(h.runner().running());
  auto all = h.f.engine->job_list({});
  REQUIRE(all.is_ok());
  CHECK(all->size() == 1);  // the refused insert stored nothing

  t.vfs.clear();
  REQUIRE(h.wait_stopped(id));
  Job failed = h.get(id);
  CHECK(failed.state == JobState::retryable);
  REQUIRE(failed.errors.size() == 1);
  CHECK_THAT(failed.errors[0].message, Catch::Contains("checkpoint after chunk 3/10 failed"));
  CHECK_THAT(failed.errors[0].message, Catch::Contains("database or disk is full"));
  CHECK(failed.checkpoint.at("next_chunk") == 2);

  // Producers and the ticker work: a new job runs, a scheduled one is staged and runs.
  Job now = h.insert({{"do", "ok"}});
  Job later = h.insert({{"do", "ok"}}, [&](NewJob& j) { j.scheduled_at = h.f.now() + 1'000; });
  REQUIRE(h.wait_stopped(now.id));
  h.f.clock->advance(Millis(1'000));
  REQUIRE(h.wait_stopped(later.id));
  CHECK(h.get(now.id).state == JobState::completed);
  CHECK(h.get(later.id).state == JobState::completed);

  // The chunked job retries after its backoff from its last checkpoint: chunk 3 is redone, nothing else.
  h.f.clock->advance(Millis(20'000));
  REQUIRE(h.events->wait_for(EventKind::job_start, 2, id));
  for (int i = 2; i < 10; ++i) finish_chunk(h, i);
  REQUIRE(h.wait_stopped(id, 2));
  Job done = h.get(id);
  CHECK(done.state == JobState::completed);
  CHECK(done.attempt == 2);
  CHECK(done.result.at("resumed_from_chunk") == 3);
  CHECK(test_job_chunk_numbers(done.result) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

}  // namespace jobrunner::testing
