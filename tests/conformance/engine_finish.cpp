// Conformance: how executions end, and the lease token that fences every write made for a job.
#include "support/engines.h"

namespace jobrunner::testing {
namespace {

JobFinishParams failure(const Job& claimed, Timestamp now, std::string message, Timestamp retry_at) {
  JobFinishParams p = outcome(claimed, FinishKind::error, now);
  p.message = std::move(message);
  p.scheduled_at = retry_at;
  return p;
}

Status checkpoint(Engine& engine, const Job& claimed, Timestamp now, json state, Progress progress) {
  return engine.job_checkpoint({.id = claimed.id,
                                .token = claimed.lease->token,
                                .now = now,
                                .checkpoint = std::move(state),
                                .progress = progress});
}

}  // namespace

TEMPLATE_TEST_CASE("a completed job records its result and finish time and gives up its lease",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  f.clock->advance(Millis(1'500));

  JobFinishParams done = outcome(claimed, FinishKind::complete, f.now());
  done.result = {{"sent", 3}, {"ids", {7, 8, 9}}};
  REQUIRE(finish_job(*f.engine, done) == Status::ok());

  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.state == JobState::completed);
  CHECK(job.result == done.result);
  CHECK(job.finished_at == f.now());
  CHECK(job.attempt == 1);
  CHECK(job.errors.empty());
  CHECK_FALSE(job.lease);
}

TEMPLATE_TEST_CASE("a failed job waits as retryable with its error recorded until its backoff time",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  const Timestamp failed_at = f.now();
  REQUIRE(finish_job(*f.engine, failure(claimed, failed_at, "connection refused", failed_at + 30'000)) ==
          Status::ok());

  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.state == JobState::retryable);
  CHECK(job.scheduled_at == failed_at + 30'000);
  CHECK(job.errors == std::vector<JobError>{{1, failed_at, "connection refused"}});
  CHECK_FALSE(job.lease);
  CHECK_FALSE(job.finished_at);

  f.clock->advance(Millis(29'999));
  CHECK(f.engine->job_stage(f.now()).value() == 0);
  CHECK(claim_jobs(*f.engine, f.now()).empty());

  f.clock->advance(Millis(1));
  CHECK(f.engine->job_stage(f.now()).value() == 1);
  const Job retried = claim_job(*f.engine, f.now());
  CHECK(retried.id == claimed.id);
  CHECK(retried.attempt == 2);
}

TEMPLATE_TEST_CASE("a job that fails its last attempt is discarded with every error kept", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob twice = echo_job();
  twice.max_attempts = 2;
  const JobId id = insert_job(*f.engine, twice, f.now()).id;

  const Timestamp first_failure = f.now();
  REQUIRE(finish_job(*f.engine, failure(claim_job(*f.engine, f.now()), f.now(), "first", f.now() + 1'000))
              .is_ok());
  f.clock->advance(Millis(1'000));
  REQUIRE(f.engine->job_stage(f.now()).value() == 1);
  const Timestamp second_failure = f.now();
  REQUIRE(finish_job(*f.engine, failure(claim_job(*f.engine, f.now()), f.now(), "second", f.now() + 1'000))
              .is_ok());

  const Job job = get_job(*f.engine, id);
  CHECK(job.state == JobState::discarded);
  CHECK(job.finished_at == second_failure);
  CHECK(job.attempt == 2);
  CHECK(job.errors == std::vector<JobError>{{1, first_failure, "first"}, {2, second_failure, "second"}});
  f.clock->advance(Millis(10'000));
  CHECK(f.engine->job_stage(f.now()).value() == 0);
}

TEMPLATE_TEST_CASE("a job discarded or cancelled by its worker is final with its reason recorded",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  const std::pair<FinishKind, JobState> endings[] = {{FinishKind::discard, JobState::discarded},
                                                     {FinishKind::cancel, JobState::cancelled}};
  for (const auto& [kind, state] : endings) {
    INFO(to_string(state));
    TestType f;
    insert_job(*f.engine, echo_job(), f.now());
    JobFinishParams end = outcome(claim_job(*f.engine, f.now()), kind, f.now());
    end.message = "no such account";
    REQUIRE(finish_job(*f.engine, end) == Status::ok());

    const Job job = get_job(*f.engine, end.id);
    CHECK(job.state == state);
    CHECK(job.finished_at == f.now());
    CHECK(job.errors == std::vector<JobError>{{1, f.now(), "no such account"}});
    CHECK_FALSE(job.lease);
  }
}

TEMPLATE_TEST_CASE("a snoozed job waits as scheduled and gets its attempt back", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  JobFinishParams snooze = outcome(claim_job(*f.engine, f.now()), FinishKind::snooze, f.now());
  snooze.scheduled_at = f.now() + 10'000;
  REQUIRE(finish_job(*f.engine, snooze) == Status::ok());

  const Job job = get_job(*f.engine, snooze.id);
  CHECK(job.state == JobState::scheduled);
  CHECK(job.scheduled_at == f.now() + 10'000);
  CHECK(job.attempt == 0);
  CHECK(job.errors.empty());
  CHECK_FALSE(job.lease);

  f.clock->advance(Millis(10'000));
  CHECK(f.engine->job_stage(f.now()).value() == 1);
  CHECK(claim_job(*f.engine, f.now()).attempt == 1);
}

TEMPLATE_TEST_CASE("an interrupted job is available at once, keeps its checkpoint and gets its attempt back",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  REQUIRE(checkpoint(*f.engine, claimed, f.now(), {{"v", 1}, {"chunk", 3}}, {3, 10}) == Status::ok());
  f.clock->advance(Millis(2'000));
  REQUIRE(finish_job(*f.engine, outcome(claimed, FinishKind::interrupt, f.now())) == Status::ok());

  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.state == JobState::available);
  CHECK(job.scheduled_at == f.now());
  CHECK(job.attempt == 0);
  CHECK(job.errors.empty());
  CHECK_FALSE(job.lease);
  CHECK(job.checkpoint == json{{"v", 1}, {"chunk", 3}});
  CHECK(job.progress == Progress{3, 10});

  const Job resumed = claim_job(*f.engine, f.now());
  CHECK(resumed.attempt == 1);
  CHECK(resumed.checkpoint == json{{"v", 1}, {"chunk", 3}});
}

TEMPLATE_TEST_CASE("a finish under a stale lease token changes nothing", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());

  JobFinishParams forged = outcome(claimed, FinishKind::complete, f.now());
  forged.token += 1;
  CHECK(finish_job(*f.engine, forged).code() == StatusCode::stale_lease);
  const Job untouched = get_job(*f.engine, claimed.id);
  CHECK(untouched.state == JobState::executing);
  CHECK(untouched.lease == claimed.lease);

  REQUIRE(finish_job(*f.engine, outcome(claimed, FinishKind::complete, f.now())) == Status::ok());
  JobFinishParams again = failure(claimed, f.now(), "late", f.now());
  CHECK(finish_job(*f.engine, again).code() == StatusCode::stale_lease);
  const Job done = get_job(*f.engine, claimed.id);
  CHECK(done.state == JobState::completed);
  CHECK(done.errors.empty());
}

TEMPLATE_TEST_CASE("a batch of finishes answers for each item on its own", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job({{"n", 1}}), f.now());
  insert_job(*f.engine, echo_job({{"n", 2}}), f.now());
  const std::vector<Job> claimed = claim_jobs(*f.engine, f.now(), 2);
  REQUIRE(claimed.size() == 2);

  JobFinishParams stale = outcome(claimed[1], FinishKind::complete, f.now());
  stale.token += 1;
  const std::vector<JobFinishParams> items = {outcome(claimed[0], FinishKind::complete, f.now()), stale};
  const std::vector<Status> statuses = f.engine->job_finish(items);
  REQUIRE(statuses.size() == 2);
  CHECK(statuses[0] == Status::ok());
  CHECK(statuses[1].code() == StatusCode::stale_lease);
  CHECK(get_job(*f.engine, claimed[0].id).state == JobState::completed);
  CHECK(get_job(*f.engine, claimed[1].id).state == JobState::executing);
}

TEMPLATE_TEST_CASE("a checkpoint saves state and progress for the lease holder only", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  REQUIRE(checkpoint(*f.engine, claimed, f.now(), {{"v", 1}, {"offset", 100}}, {1, 4}) == Status::ok());
  Job job = get_job(*f.engine, claimed.id);
  CHECK(job.checkpoint == json{{"v", 1}, {"offset", 100}});
  CHECK(job.progress == Progress{1, 4});

  Job forged = claimed;
  forged.lease->token += 1;
  CHECK(checkpoint(*f.engine, forged, f.now(), {{"v", 1}, {"offset", 999}}, {3, 4}).code() ==
        StatusCode::stale_lease);
  job = get_job(*f.engine, claimed.id);
  CHECK(job.checkpoint == json{{"v", 1}, {"offset", 100}});
  CHECK(job.progress == Progress{1, 4});

  REQUIRE(finish_job(*f.engine, outcome(claimed, FinishKind::complete, f.now())) == Status::ok());
  CHECK(checkpoint(*f.engine, claimed, f.now(), {{"v", 1}, {"offset", 200}}, {2, 4}).code() ==
        StatusCode::stale_lease);
  CHECK(get_job(*f.engine, claimed.id).checkpoint == json{{"v", 1}, {"offset", 100}});
}

TEMPLATE_TEST_CASE("a checkpoint runs the worker's transaction work and saves nothing when it throws",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());

  int runs = 0;
  bool has_database = false;
  JobCheckpointParams p{
      .id = claimed.id, .token = claimed.lease->token, .now = f.now(), .checkpoint = {{"step", 1}}};
  p.in_transaction = [&](Transaction& tx) {
    ++runs;
    has_database = tx.sqlite() != nullptr;
  };
  REQUIRE(f.engine->job_checkpoint(p) == Status::ok());
  CHECK(runs == 1);
  // Only the durable engine has a database for the worker to write to.
  CHECK(has_database == (TestType::kEngine == "durable"));

  p.checkpoint = {{"step", 2}};
  p.progress = Progress{2, 2};
  p.in_transaction = [](Transaction&) { throw std::runtime_error("disk on fire"); };
  const Status failed = f.engine->job_checkpoint(p);
  CHECK_FALSE(failed.is_ok());
  CHECK(failed.code() != StatusCode::stale_lease);
  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.checkpoint == json{{"step", 1}});
  CHECK_FALSE(job.progress);
}

TEMPLATE_TEST_CASE("a lease renewal extends the leases still held and names the lost ones", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  for (int n = 0; n < 4; ++n) insert_job(*f.engine, echo_job({{"n", n}}), f.now());
  const std::vector<Job> claimed = claim_jobs(*f.engine, f.now(), 4);
  REQUIRE(claimed.size() == 4);
  const Job& held = claimed[0];
  const Job& cancelled = claimed[1];
  const Job& finished = claimed[2];
  const Job& wrong_token = claimed[3];
  REQUIRE(f.engine->job_cancel(cancelled.id, f.now()).is_ok());
  REQUIRE(finish_job(*f.engine, outcome(finished, FinishKind::complete, f.now())).is_ok());

  const Timestamp expires_at = f.now() + 90'000;
  auto lost = f.engine->job_lease_renew({.owner = "runner-a",
                                         .jobs = {{held.id, held.lease->token},
                                                  {cancelled.id, cancelled.lease->token},
                                                  {finished.id, finished.lease->token},
                                                  {wrong_token.id, wrong_token.lease->token + 1}},
                                         .expires_at = expires_at});
  REQUIRE(lost.status() == Status::ok());
  std::sort(lost->begin(), lost->end());
  CHECK(*lost == std::vector{cancelled.id, finished.id, wrong_token.id});
  CHECK(get_job(*f.engine, held.id).lease->expires_at == expires_at);
  CHECK(get_job(*f.engine, wrong_token.id).lease->expires_at == wrong_token.lease->expires_at);

  auto stranger = f.engine->job_lease_renew(
      {.owner = "runner-b", .jobs = {{held.id, held.lease->token}}, .expires_at = expires_at + 1});
  REQUIRE(stranger.is_ok());
  CHECK(*stranger == std::vector{held.id});
  CHECK(get_job(*f.engine, held.id).lease->expires_at == expires_at);
}

TEMPLATE_TEST_CASE("cancelling an executing job takes its lease, so its later writes are stale",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, echo_job(), f.now());
  const Job claimed = claim_job(*f.engine, f.now());
  f.clock->advance(Millis(500));

  auto cancelled = f.engine->job_cancel(claimed.id, f.now());
  REQUIRE(cancelled.status() == Status::ok());
  CHECK(cancelled->state == JobState::cancelled);
  CHECK(cancelled->finished_at == f.now());
  CHECK_FALSE(cancelled->lease);

  CHECK(checkpoint(*f.engine, claimed, f.now(), {{"v", 1}}, {1, 2}).code() == StatusCode::stale_lease);
  CHECK(finish_job(*f.engine, outcome(claimed, FinishKind::complete, f.now())).code() ==
        StatusCode::stale_lease);
  const Job job = get_job(*f.engine, claimed.id);
  CHECK(job.state == JobState::cancelled);
  CHECK(job.checkpoint.is_null());
  CHECK(job.result.is_null());
}

}  // namespace jobrunner::testing
