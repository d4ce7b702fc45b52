// Conformance: claiming jobs — order, limits, queues, schedules, pauses, and claims racing.
#include <algorithm>
#include <map>
#include <thread>

#include "support/engines.h"

namespace jobrunner::testing {
namespace {

std::vector<JobId> ids_of(const std::vector<Job>& jobs) {
  std::vector<JobId> ids;
  for (const Job& j : jobs) ids.push_back(j.id);
  return ids;
}

}  // namespace

TEMPLATE_TEST_CASE("a claimed job is executing with its attempt counted and a lease", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Job inserted = insert_job(*f.engine, echo_job(), f.now());
  f.clock->advance(Millis(5'000));

  auto claimed = f.engine->job_claim({.queue = "default",
                                      .limit = 1,
                                      .owner = "runner-a",
                                      .now = f.now(),
                                      .lease_duration = Millis(20'000)});
  REQUIRE(claimed.status() == Status::ok());
  REQUIRE(claimed->size() == 1);
  const Job job = claimed->front();
  CHECK(job.id == inserted.id);
  CHECK(job.state == JobState::executing);
  CHECK(job.attempt == 1);
  CHECK(job.attempted_at == f.now());
  REQUIRE(job.lease);
  CHECK(job.lease->owner == "runner-a");
  CHECK(job.lease->token != 0);
  CHECK(job.lease->expires_at == f.now() + 20'000);

  const Job stored = get_job(*f.engine, job.id);
  CHECK(stored.state == JobState::executing);
  CHECK(stored.attempt == 1);
  CHECK(stored.lease == job.lease);
}

TEMPLATE_TEST_CASE("a job claimed again holds a new lease token, and the old one is stale", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job first = claim_job(*f.engine, f.now());
  REQUIRE(finish_job(*f.engine, outcome(first, FinishKind::interrupt, f.now())) == Status::ok());

  const Job again = claim_job(*f.engine, f.now());
  CHECK(again.id == first.id);
  CHECK(again.lease->token != first.lease->token);
  CHECK(finish_job(*f.engine, outcome(first, FinishKind::complete, f.now())).code() ==
        StatusCode::stale_lease);
  CHECK(get_job(*f.engine, again.id).state == JobState::executing);
}

TEMPLATE_TEST_CASE("claims take jobs by priority, then oldest scheduled_at, then id", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Timestamp t0 = f.now();
  auto add = [&](int priority, Timestamp scheduled_at) {
    NewJob job = echo_job();
    job.priority = priority;
    job.scheduled_at = scheduled_at;
    return insert_job(*f.engine, job, t0).id;
  };
  const JobId low = add(5, t0 + 1'000);
  const JobId mid_late = add(1, t0 + 3'000);
  const JobId mid_early = add(1, t0 + 1'000);
  const JobId mid_early_too = add(1, t0 + 1'000);
  const JobId high = add(0, t0 + 4'000);
  f.clock->advance(Millis(5'000));
  REQUIRE(f.engine->job_stage(f.now()).status() == Status::ok());

  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 10)) ==
        std::vector{high, mid_early, mid_early_too, mid_late, low});
}

TEMPLATE_TEST_CASE("a claim returns at most its limit", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  for (int n = 0; n < 5; ++n) insert_job(*f.engine, echo_job({{"n", n}}), f.now());
  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 2)) == std::vector<JobId>{1, 2});
  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 2)) == std::vector<JobId>{3, 4});
  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 2)) == std::vector<JobId>{5});
  CHECK(claim_jobs(*f.engine, f.now(), 2).empty());
}

TEMPLATE_TEST_CASE("a claim takes jobs of its own queue only", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  const JobId mail = insert_job(*f.engine, echo_job(json::object(), "mail"), f.now()).id;
  const JobId reports = insert_job(*f.engine, echo_job(json::object(), "reports"), f.now()).id;
  CHECK(claim_jobs(*f.engine, f.now(), 10, "nothing-here").empty());
  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 10, "reports")) == std::vector{reports});
  CHECK(ids_of(claim_jobs(*f.engine, f.now(), 10, "mail")) == std::vector{mail});
}

TEMPLATE_TEST_CASE("a scheduled job is not claimed before its time and is staged available after it",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob later = echo_job();
  later.scheduled_at = f.now() + 60'000;
  const JobId id = insert_job(*f.engine, later, f.now()).id;

  f.clock->advance(Millis(59'999));
  CHECK(f.engine->job_stage(f.now()).value() == 0);
  CHECK(claim_jobs(*f.engine, f.now()).empty());
  CHECK(get_job(*f.engine, id).state == JobState::scheduled);

  f.clock->advance(Millis(1));
  CHECK(f.engine->job_stage(f.now()).value() == 1);
  CHECK(get_job(*f.engine, id).state == JobState::available);
  CHECK(claim_job(*f.engine, f.now()).id == id);
}

TEMPLATE_TEST_CASE("claims from a paused queue take nothing until it is resumed", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(json::object(), "mail"), f.now());
  insert_job(*f.engine, echo_job(json::object(), "reports"), f.now());
  REQUIRE(f.engine->queue_pause("mail", f.now()) == Status::ok());

  CHECK(claim_jobs(*f.engine, f.now(), 10, "mail").empty());
  CHECK(claim_jobs(*f.engine, f.now(), 10, "reports").size() == 1);

  REQUIRE(f.engine->queue_resume("mail", f.now()) == Status::ok());
  CHECK(claim_jobs(*f.engine, f.now(), 10, "mail").size() == 1);
}

TEMPLATE_TEST_CASE("claims racing on many threads never return the same job twice", "[conformance][concurrency]",
                   LiteEngineFixture, DurableEngineFixture) {
  constexpr int kJobs = 2'000;
  constexpr int kThreads = 8;
  TestType f;
  std::vector<NewJob> batch;
  for (int n = 0; n < kJobs; ++n) batch.push_back(echo_job({{"n", n}}));
  REQUIRE(f.engine->job_insert_many(batch, f.now()).is_ok());

  // Catch's assertions are not thread-safe: each thread keeps what it saw and the test checks after.
  std::vector<std::vector<JobId>> claimed(kThreads);
  std::vector<Status> failures(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string owner = "runner-" + std::to_string(t);
        for (;;) {
          auto jobs = f.engine->job_claim({.queue = "default", .limit = 7, .owner = owner, .now = f.now()});
          if (!jobs.is_ok()) {
            failures[t] = jobs.status();
            return;
          }
          if (jobs->empty()) return;
          for (const Job& j : *jobs) claimed[t].push_back(j.id);
        }
      });
    }
  }

  std::map<JobId, int> times_claimed;
  for (int t = 0; t < kThreads; ++t) {
    CHECK(failures[t] == Status::ok());
    for (JobId id : claimed[t]) ++times_claimed[id];
  }
  CHECK(times_claimed.size() == kJobs);
  CHECK(std::all_of(times_claimed.begin(), times_claimed.end(),
                    [](const auto& entry) { return entry.second == 1; }));
}

}  // namespace jobrunner::testing
