// Conformance: rescuing orphaned jobs, pruning finished ones, and cancelling or retrying by hand.
#include "support/engines.h"

namespace jobrunner::testing {
namespace {

// A job brought to `state` through the calls a runner would make, in a queue named after the state
// so that jobs made for one test do not take each other's places.
Job job_in_state(Engine& engine, JobState state, Timestamp now) {
  NewJob job = echo_job(json::object(), std::string(to_string(state)));
  if (state == JobState::scheduled) job.scheduled_at = now + 60'000;
  const Job inserted = insert_job(engine, job, now);
  if (state == JobState::scheduled || state == JobState::available) return inserted;
  const Job claimed = claim_job(engine, now, job.queue);
  if (state == JobState::executing) return claimed;
  JobFinishParams end = outcome(claimed, FinishKind::complete, now);
  end.message = "ended by the test";
  end.scheduled_at = now + 60'000;
  switch (state) {
    case JobState::retryable: end.kind = FinishKind::error; break;
    case JobState::discarded: end.kind = FinishKind::discard; break;
    case JobState::cancelled: end.kind = FinishKind::cancel; break;
    default: break;
  }
  REQUIRE(finish_job(engine, end) == Status::ok());
  const Job ended = get_job(engine, inserted.id);
  REQUIRE(ended.state == state);
  return ended;
}

}  // namespace

TEMPLATE_TEST_CASE(
    "a job whose lease expired is rescued to available with its attempt spent and its checkpoint kept",
    "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  REQUIRE(f.engine->job_checkpoint({.id = claimed.id,
                                    .token = claimed.lease->token,
                                    .now = f.now(),
                                    .checkpoint = {{"chunk", 2}},
                                    .progress = Progress{2, 5}}) == Status::ok());

  f.clock->advance(Millis(29'999));
  auto early = f.engine->job_rescue({.now = f.now()});
  REQUIRE(early.status() == Status::ok());
  CHECK(early->rescued == 0);
  CHECK(get_job(*f.engine, claimed.id).state == JobState::executing);

  f.clock->advance(Millis(1));
  auto rescued = f.engine->job_rescue({.now = f.now()});
  REQUIRE(rescued.status() == Status::ok());
  CHECK(rescued->rescued == 1);
  CHECK(rescued->discarded == 0);

  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.state == JobState::available);
  CHECK(job.attempt == 1);
  CHECK_FALSE(job.lease);
  REQUIRE(job.errors.size() == 1);
  CHECK(job.errors[0].attempt == 1);
  CHECK(job.errors[0].at == f.now());
  CHECK_FALSE(job.errors[0].message.empty());
  CHECK(job.checkpoint == json{{"chunk", 2}});
  CHECK(job.progress == Progress{2, 5});

  CHECK(finish_job(*f.engine, outcome(claimed, FinishKind::complete, f.now())).code() ==
        StatusCode::stale_lease);
  const Job resumed = claim_job(*f.engine, f.now());
  CHECK(resumed.attempt == 2);
  CHECK(resumed.checkpoint == json{{"chunk", 2}});
}

TEMPLATE_TEST_CASE("the jobs of a dead runner are rescued whatever their leases say", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job({{"n", 1}}), f.now());
  insert_job(*f.engine, echo_job({{"n", 2}}), f.now());
  auto dead = f.engine->job_claim({.queue = "default", .limit = 1, .owner = "runner-dead", .now = f.now()});
  auto alive = f.engine->job_claim({.queue = "default", .limit = 1, .owner = "runner-alive", .now = f.now()});
  REQUIRE(dead.is_ok());
  REQUIRE(alive.is_ok());
  REQUIRE(dead->size() == 1);
  REQUIRE(alive->size() == 1);

  auto counts = f.engine->job_rescue({.now = f.now(), .dead_owners = {"runner-dead", "runner-never-seen"}});
  REQUIRE(counts.status() == Status::ok());
  CHECK(counts->rescued == 1);

  const Job orphan = get_job(*f.engine, dead->front().id);
  CHECK(orphan.state == JobState::available);
  CHECK(orphan.attempt == 1);
  CHECK(orphan.errors.size() == 1);
  CHECK(get_job(*f.engine, alive->front().id).state == JobState::executing);
}

TEMPLATE_TEST_CASE("a rescued job with no attempts left is discarded with an error that says so",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob once = echo_job();
  once.max_attempts = 1;
  const JobId id = insert_job(*f.engine, once, f.now()).id;
  claim_job(*f.engine, f.now());

  f.clock->advance(Millis(60'000));
  auto counts = f.engine->job_rescue({.now = f.now()});
  REQUIRE(counts.status() == Status::ok());
  CHECK(counts->rescued == 0);
  CHECK(counts->discarded == 1);

  const Job job = get_job(*f.engine, id);
  CHECK(job.state == JobState::discarded);
  CHECK(job.finished_at == f.now());
  CHECK(job.attempt == 1);
  CHECK_FALSE(job.lease);
  REQUIRE(job.errors.size() == 1);
  CHECK(job.errors[0].attempt == 1);
  CHECK_FALSE(job.errors[0].message.empty());
}

TEMPLATE_TEST_CASE("pruning deletes only final jobs finished before the cutoff", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Timestamp t0 = f.now();
  const JobId completed = job_in_state(*f.engine, JobState::completed, t0).id;
  const JobId discarded = job_in_state(*f.engine, JobState::discarded, t0 + 10).id;
  const JobId cancelled = job_in_state(*f.engine, JobState::cancelled, t0 + 20).id;
  std::vector<JobId> kept = {cancelled};
  for (JobState state :
       {JobState::scheduled, JobState::available, JobState::executing, JobState::retryable}) {
    kept.push_back(job_in_state(*f.engine, state, t0).id);
  }

  auto pruned = f.engine->job_prune({.finished_before = t0 + 20});
  REQUIRE(pruned.status() == Status::ok());
  CHECK(*pruned == 2);
  CHECK(f.engine->job_get(completed).status().code() == StatusCode::not_found);
  CHECK(f.engine->job_get(discarded).status().code() == StatusCode::not_found);
  for (JobId id : kept) CHECK(f.engine->job_get(id).is_ok());
}

TEMPLATE_TEST_CASE("pruning deletes no more than its limit", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  for (int n = 0; n < 5; ++n) job_in_state(*f.engine, JobState::completed, f.now());
  f.clock->advance(Millis(1));
  CHECK(f.engine->job_prune({.finished_before = f.now(), .limit = 3}).value() == 3);
  CHECK(f.engine->job_prune({.finished_before = f.now(), .limit = 3}).value() == 2);
  CHECK(f.engine->job_prune({.finished_before = f.now(), .limit = 3}).value() == 0);
}

TEMPLATE_TEST_CASE("cancelling a waiting job makes it final and unclaimable", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  for (JobState state : {JobState::scheduled, JobState::available, JobState::retryable}) {
    INFO(to_string(state));
    TestType f;
    const Job waiting = job_in_state(*f.engine, state, f.now());
    f.clock->advance(Millis(100));
    auto cancelled = f.engine->job_cancel(waiting.id, f.now());
    REQUIRE(cancelled.status() == Status::ok());
    CHECK(cancelled->state == JobState::cancelled);
    CHECK(cancelled->finished_at == f.now());

    f.clock->advance(Millis(120'000));
    CHECK(f.engine->job_stage(f.now()).value() == 0);
    CHECK(claim_jobs(*f.engine, f.now(), 1, waiting.queue).empty());
    CHECK(get_job(*f.engine, waiting.id).state == JobState::cancelled);
  }
}

TEMPLATE_TEST_CASE("cancelling a final or unknown job is refused", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  for (JobState state : {JobState::completed, JobState::discarded, JobState::cancelled}) {
    INFO(to_string(state));
    const Job final_job = job_in_state(*f.engine, state, f.now());
    CHECK(f.engine->job_cancel(final_job.id, f.now()).status().code() == StatusCode::conflict);
    CHECK(get_job(*f.engine, final_job.id).state == state);
  }
  CHECK(f.engine->job_cancel(999, f.now()).status().code() == StatusCode::not_found);
}

TEMPLATE_TEST_CASE("retrying a waiting or final job makes it available now", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  for (JobState state : {JobState::scheduled, JobState::retryable, JobState::completed, JobState::discarded,
                         JobState::cancelled}) {
    INFO(to_string(state));
    TestType f;
    const Job before = job_in_state(*f.engine, state, f.now());
    f.clock->advance(Millis(1'000));
    auto retried = f.engine->job_retry(before.id, f.now());
    REQUIRE(retried.status() == Status::ok());
    CHECK(retried->state == JobState::available);
    CHECK(retried->scheduled_at == f.now());
    CHECK_FALSE(retried->finished_at);
    CHECK(retried->attempt == before.attempt);
    CHECK(retried->errors == before.errors);
    CHECK(claim_job(*f.engine, f.now(), before.queue).attempt == before.attempt + 1);
  }
}

TEMPLATE_TEST_CASE("retrying a job out of attempts gives it one more", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  NewJob once = echo_job();
  once.max_attempts = 1;
  insert_job(*f.engine, once, f.now());
  JobFinishParams failed = outcome(claim_job(*f.engine, f.now()), FinishKind::error, f.now());
  failed.message = "boom";
  REQUIRE(finish_job(*f.engine, failed) == Status::ok());
  REQUIRE(get_job(*f.engine, failed.id).state == JobState::discarded);

  auto retried = f.engine->job_retry(failed.id, f.now());
  REQUIRE(retried.status() == Status::ok());
  CHECK(retried->max_attempts == 2);
  const Job claimed = claim_job(*f.engine, f.now());
  CHECK(claimed.attempt == 2);

  JobFinishParams again = outcome(claimed, FinishKind::error, f.now());
  again.message = "boom again";
  REQUIRE(finish_job(*f.engine, again) == Status::ok());
  CHECK(get_job(*f.engine, failed.id).state == JobState::discarded);
}

TEMPLATE_TEST_CASE("retrying an available, executing or unknown job is refused", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  for (JobState state : {JobState::available, JobState::executing}) {
    INFO(to_string(state));
    const Job job = job_in_state(*f.engine, state, f.now());
    CHECK(f.engine->job_retry(job.id, f.now()).status().code() == StatusCode::conflict);
    CHECK(get_job(*f.engine, job.id).state == state);
  }
  CHECK(f.engine->job_retry(999, f.now()).status().code() == StatusCode::not_found);
}

}  // namespace jobrunner::testing
