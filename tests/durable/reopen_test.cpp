// A restart: closing the database and opening it again finds every job exactly as it was left.
#include <catch2/catch.hpp>

#include "durable_support.h"
#include "support/engines.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kStart = 1'700'000'000'000;

void require_same_job(const Job& a, const Job& b) {
  CHECK(a.id == b.id);
  CHECK(a.queue == b.queue);
  CHECK(a.worker == b.worker);
  CHECK(a.args == b.args);
  CHECK(a.state == b.state);
  CHECK(a.priority == b.priority);
  CHECK(a.attempt == b.attempt);
  CHECK(a.max_attempts == b.max_attempts);
  CHECK(a.inserted_at == b.inserted_at);
  CHECK(a.scheduled_at == b.scheduled_at);
  CHECK(a.attempted_at == b.attempted_at);
  CHECK(a.finished_at == b.finished_at);
  CHECK(a.errors == b.errors);
  CHECK(a.meta == b.meta);
  CHECK(a.tags == b.tags);
  CHECK(a.checkpoint == b.checkpoint);
  CHECK(a.progress == b.progress);
  CHECK(a.result == b.result);
  CHECK(a.unique_key == b.unique_key);
  CHECK(a.lease == b.lease);
}

NewJob rich_job() {
  NewJob job =
      testing::echo_job({{"chunks", 12}, {"name", "ünïcode ✓"}, {"nested", {{"a", {1, 2, 3}}}}}, "media");
  job.priority = 3;
  job.max_attempts = 4;
  job.meta = {{"requested_by", "ops"}, {"trace", "abc-123"}};
  job.tags = {"nightly", "video"};
  job.unique = UniqueOptions{};
  return job;
}

}  // namespace

TEST_CASE("reopening a database finds the jobs as they were left") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);

  // Executing on its second attempt, with an error from the first, a checkpoint, progress and a lease.
  const Job running = testing::insert_job(*engine, rich_job(), kStart);
  const Job first = testing::claim_job(*engine, kStart + 10, "media");
  auto error = testing::outcome(first, FinishKind::error, kStart + 20);
  error.message = "upstream timed out";
  error.scheduled_at = kStart + 30;
  REQUIRE(testing::finish_job(*engine, error) == Status::ok());
  REQUIRE(engine->job_stage(kStart + 30).is_ok());
  const Job second = testing::claim_job(*engine, kStart + 40, "media");
  REQUIRE(engine->job_checkpoint({.id = second.id,
                                  .token = second.lease->token,
                                  .now = kStart + 50,
                                  .checkpoint = {{"version", 1}, {"next_chunk", 7}},
                                  .progress = Progress{7, 12}}) == Status::ok());

  // Completed with a result.
  const Job done = testing::insert_job(*engine, testing::echo_job({{"n", 1}}), kStart);
  auto complete =
      testing::outcome(testing::claim_job(*engine, kStart + 60), FinishKind::complete, kStart + 70);
  complete.result = {{"bytes", 1024}, {"ok", true}};
  REQUIRE(testing::finish_job(*engine, complete) == Status::ok());

  // Scheduled for later.
  NewJob later = testing::echo_job({{"n", 2}});
  later.scheduled_at = kStart + 3'600'000;
  const Job scheduled = testing::insert_job(*engine, later, kStart);

  std::vector<Job> before;
  for (JobId id : {running.id, done.id, scheduled.id}) before.push_back(testing::get_job(*engine, id));
  REQUIRE(before[0].lease.has_value());
  REQUIRE(before[0].errors.size() == 1);
  REQUIRE(before[0].progress == Progress{7, 12});
  REQUIRE(before[0].unique_key.has_value());
  REQUIRE(before[1].result == complete.result);

  engine.reset();
  engine = testing::open_durable_engine(path);

  for (const Job& was : before) {
    INFO("job " << was.id);
    require_same_job(testing::get_job(*engine, was.id), was);
  }
  auto listed = engine->job_list({.newest_first = false});
  REQUIRE(listed.is_ok());
  REQUIRE(listed->size() == before.size());
  for (std::size_t i = 0; i < before.size(); ++i) require_same_job((*listed)[i], before[i]);
}

TEST_CASE("the lease of a job left executing still fences its writes after a reopen") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job(), kStart);
  const Job claimed = testing::claim_job(*engine, kStart);

  engine.reset();
  engine = testing::open_durable_engine(path);

  auto wrong = testing::outcome(claimed, FinishKind::complete, kStart + 1);
  wrong.token = claimed.lease->token + 1;
  CHECK(testing::finish_job(*engine, wrong).code() == StatusCode::stale_lease);
  CHECK(testing::finish_job(*engine, testing::outcome(claimed, FinishKind::complete, kStart + 1)) ==
        Status::ok());
}

TEST_CASE("job ids are not reused after the newest jobs are pruned") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job(), kStart);
  const Job claimed = testing::claim_job(*engine, kStart);
  REQUIRE(testing::finish_job(*engine, testing::outcome(claimed, FinishKind::complete, kStart)) ==
          Status::ok());
  REQUIRE(*engine->job_prune({.finished_before = kStart + 1}) == 1);

  engine.reset();
  engine = testing::open_durable_engine(path);
  CHECK(testing::insert_job(*engine, testing::echo_job(), kStart).id > claimed.id);
}
