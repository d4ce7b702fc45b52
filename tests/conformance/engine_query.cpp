// Conformance: reading jobs back — get, list, counts — and the queue and runner registries.
#include <algorithm>
#include <map>

#include "support/engines.h"

namespace jobrunner::testing {
namespace {

using Tally = std::map<std::pair<std::string, JobState>, std::int64_t>;

Tally count(Engine& engine, const JobFilter& filter) {
  auto counts = engine.job_count(filter);
  REQUIRE(counts.status() == Status::ok());
  Tally tally;
  for (const StateCount& c : *counts) {
    CHECK(c.count > 0);
    tally[{c.queue, c.state}] += c.count;
  }
  return tally;
}

std::vector<JobId> list(Engine& engine, const JobFilter& filter) {
  auto jobs = engine.job_list(filter);
  REQUIRE(jobs.status() == Status::ok());
  std::vector<JobId> ids;
  for (const Job& j : *jobs) ids.push_back(j.id);
  return ids;
}

// Job 1 executing in "mail"; 2, 3 (of worker "mailer") and 5 available in "mail"; 4 scheduled in "reports".
void add_mixed_jobs(Engine& engine, Timestamp now) {
  insert_job(engine, echo_job({{"n", 1}}, "mail"), now);
  insert_job(engine, echo_job({{"n", 2}}, "mail"), now);
  NewJob mailer = echo_job({{"n", 3}}, "mail");
  mailer.worker = "mailer";
  insert_job(engine, mailer, now);
  NewJob later = echo_job({{"n", 4}}, "reports");
  later.scheduled_at = now + 60'000;
  insert_job(engine, later, now);
  insert_job(engine, echo_job({{"n", 5}}, "mail"), now);
  REQUIRE(claim_job(engine, now, "mail").id == 1);
}

}  // namespace

TEMPLATE_TEST_CASE("the engine names its mode", "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  CHECK(f.engine->name() == TestType::kEngine);
  CHECK(f.engine->data_version().is_ok());
}

TEMPLATE_TEST_CASE("getting an unknown job is not found", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  CHECK(f.engine->job_get(1).status().code() == StatusCode::not_found);
  insert_job(*f.engine, echo_job(), f.now());
  CHECK(f.engine->job_get(2).status().code() == StatusCode::not_found);
}

TEMPLATE_TEST_CASE("counts group jobs by queue and state", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  add_mixed_jobs(*f.engine, f.now());
  CHECK(count(*f.engine, {}) == Tally{{{"mail", JobState::available}, 3},
                                      {{"mail", JobState::executing}, 1},
                                      {{"reports", JobState::scheduled}, 1}});
  CHECK(count(*f.engine, {.queue = "reports"}) == Tally{{{"reports", JobState::scheduled}, 1}});
  CHECK(count(*f.engine, {.states = {JobState::executing, JobState::scheduled}}) ==
        Tally{{{"mail", JobState::executing}, 1}, {{"reports", JobState::scheduled}, 1}});
  CHECK(count(*f.engine, {.worker = "mailer"}) == Tally{{{"mail", JobState::available}, 1}});
  CHECK(count(*f.engine, {.queue = "nowhere"}).empty());
}

TEMPLATE_TEST_CASE("listing filters by state, queue and worker, newest first unless told otherwise",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  add_mixed_jobs(*f.engine, f.now());
  CHECK(list(*f.engine, {}) == std::vector<JobId>{5, 4, 3, 2, 1});
  CHECK(list(*f.engine, {.newest_first = false}) == std::vector<JobId>{1, 2, 3, 4, 5});
  CHECK(list(*f.engine, {.limit = 2}) == std::vector<JobId>{5, 4});
  CHECK(list(*f.engine, {.limit = 2, .newest_first = false}) == std::vector<JobId>{1, 2});
  CHECK(list(*f.engine, {.queue = "reports"}) == std::vector<JobId>{4});
  CHECK(list(*f.engine, {.worker = "mailer"}) == std::vector<JobId>{3});
  CHECK(list(*f.engine, {.states = {JobState::available}, .queue = "mail"}) == std::vector<JobId>{5, 3, 2});
  CHECK(list(*f.engine, {.states = {JobState::executing, JobState::scheduled}}) == std::vector<JobId>{4, 1});

  auto executing = f.engine->job_list({.states = {JobState::executing}});
  REQUIRE(executing.is_ok());
  REQUIRE(executing->size() == 1);
  CHECK(executing->front().lease->owner == "runner-a");
}

TEMPLATE_TEST_CASE("queues are listed once they have jobs or have been paused", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  auto listed = [&] {
    auto queues = f.engine->queue_list();
    REQUIRE(queues.status() == Status::ok());
    std::map<std::string, bool> paused;
    for (const QueueInfo& q : *queues) paused[q.name] = q.paused;
    return paused;
  };
  CHECK(listed().empty());

  insert_job(*f.engine, echo_job(json::object(), "mail"), f.now());
  REQUIRE(f.engine->queue_pause("idle", f.now()) == Status::ok());
  CHECK(listed() == std::map<std::string, bool>{{"idle", true}, {"mail", false}});

  REQUIRE(f.engine->queue_pause("mail", f.now()) == Status::ok());
  REQUIRE(f.engine->queue_resume("idle", f.now()) == Status::ok());
  CHECK(listed() == std::map<std::string, bool>{{"idle", false}, {"mail", true}});
}

TEMPLATE_TEST_CASE("runners are registered, updated and unregistered", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  const RunnerInfo a{.id = "runner-a",
                     .host = "host-1",
                     .boot_id = "boot-1",
                     .pid = 101,
                     .pid_start = 5'000,
                     .started_at = f.now(),
                     .heartbeat_at = f.now()};
  RunnerInfo b = a;
  b.id = "runner-b";
  b.pid = 202;
  REQUIRE(f.engine->runner_register(a) == Status::ok());
  REQUIRE(f.engine->runner_register(b) == Status::ok());
  b.heartbeat_at = f.now() + 1'000;
  REQUIRE(f.engine->runner_register(b) == Status::ok());

  auto runners = f.engine->runner_list();
  REQUIRE(runners.status() == Status::ok());
  std::sort(runners->begin(), runners->end(), [](const auto& x, const auto& y) { return x.id < y.id; });
  REQUIRE(runners->size() == 2);
  const RunnerInfo& got_a = (*runners)[0];
  const RunnerInfo& got_b = (*runners)[1];
  CHECK(got_a.id == "runner-a");
  CHECK(got_a.host == "host-1");
  CHECK(got_a.boot_id == "boot-1");
  CHECK(got_a.pid == 101);
  CHECK(got_a.pid_start == 5'000);
  CHECK(got_a.started_at == a.started_at);
  CHECK(got_b.heartbeat_at == b.heartbeat_at);

  REQUIRE(f.engine->runner_unregister("runner-a") == Status::ok());
  runners = f.engine->runner_list();
  REQUIRE(runners.is_ok());
  REQUIRE(runners->size() == 1);
  CHECK(runners->front().id == "runner-b");
}

}  // namespace jobrunner::testing
