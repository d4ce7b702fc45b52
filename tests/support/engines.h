// Engine fixtures: each builds a fresh, empty engine of one kind with a FakeClock, so one
// TEMPLATE_TEST_CASE runs the same behaviour against every engine and moves time by hand. Below
// them, the few steps engine tests take over and over (insert, claim, finish), each failing the
// test case when the engine returns an error.
//
//   TEMPLATE_TEST_CASE("...", "[conformance]", LiteEngineFixture, DurableEngineFixture) {
//     TestType f;
//     auto r = f.engine->job_insert(job, f.now());
//   }
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobrunner/clock.h"
#include "jobrunner/engine.h"
#include "support/temp_dir.h"

// Tests name only the params fields they care about ({.now = t}) and mean the defaults for the rest,
// which GCC's -Wextra reports as missing initializers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif

namespace jobrunner::testing {

// The lite engine: the store lives as long as the fixture.
struct LiteEngineFixture {
  static constexpr std::string_view kEngine = "lite";

  LiteEngineFixture();

  Timestamp now() const { return clock->now(); }
  // What a process restart looks like to this engine: nothing changes, the process is the store.
  void reopen() {}

  std::shared_ptr<FakeClock> clock;
  std::shared_ptr<Engine> engine;
};

// The durable engine on a new database file in a temporary directory, removed at the end.
struct DurableEngineFixture {
  static constexpr std::string_view kEngine = "durable";

  DurableEngineFixture();

  Timestamp now() const { return clock->now(); }
  // Closes the database and opens it again, as a restarted process would.
  void reopen();

  TempDir dir;  // declared first so the database is closed before its directory goes
  std::shared_ptr<FakeClock> clock;
  std::shared_ptr<Engine> engine;
};

// A job of worker "echo" on `queue`, with five attempts: what the Runner would pass on.
NewJob echo_job(json args = json::object(), std::string queue = "default");

// Inserts a job that must be new (not a duplicate).
Job insert_job(Engine& engine, const NewJob& job, Timestamp now);
// Claims up to limit jobs of `queue` for runner "runner-a" with a 30 s lease.
std::vector<Job> claim_jobs(Engine& engine, Timestamp now, int limit = 1,
                            const std::string& queue = "default");
// Claims the one job that must be next in `queue`.
Job claim_job(Engine& engine, Timestamp now, const std::string& queue = "default");
Job get_job(Engine& engine, JobId id);

// The finish of a claimed job, under its lease token.
JobFinishParams outcome(const Job& claimed, FinishKind kind, Timestamp now);
// Finishes one execution and returns its item's status.
Status finish_job(Engine& engine, const JobFinishParams& p);

}  // namespace jobrunner::testing

// Failed checks print statuses and states by name.
template <>
struct Catch::StringMaker<jobrunner::Status> {
  static std::string convert(const jobrunner::Status& s) { return s.to_string(); }
};

template <>
struct Catch::StringMaker<jobrunner::JobState> {
  static std::string convert(jobrunner::JobState s) { return std::string(jobrunner::to_string(s)); }
};
