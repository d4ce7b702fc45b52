// The testing helpers on their own: drain_queue and enqueued over a lite engine.
#include <catch2/catch.hpp>

#include "jobrunner/lite_engine.h"
#include "jobrunner/testing.h"
#include "workers/registry.h"
#include "workers/test_job.h"

namespace jobrunner::testing {

namespace {

JobId insert(Engine& engine, const std::string& worker, json args, std::string queue = "default") {
  NewJob job;
  job.worker = worker;
  job.args = std::move(args);
  job.queue = std::move(queue);
  job.priority = 0;
  job.max_attempts = 3;
  auto r = engine.job_insert(job, SystemClock().now());
  REQUIRE(r.is_ok());
  return r->job.id;
}

}  // namespace

TEST_CASE("drain_queue runs every available job of its queue and counts them by outcome") {
  auto engine = make_lite_engine();
  auto registry = workers::builtin_registry();
  const json quick = {{"duration_ms", 2}, {"chunk_ms", 1}};
  JobId a = insert(*engine, workers::kTestJob, quick);
  insert(*engine, workers::kTestJob, quick);
  JobId bad = insert(*engine, workers::kTestJob, {{"chunk_ms", 0}});
  JobId unknown = insert(*engine, "Nobody", json::object());
  JobId elsewhere = insert(*engine, workers::kTestJob, quick, "other");

  DrainCounts counts = drain_queue(*engine, *registry, "default");
  CHECK(counts.ok == 2);
  CHECK(counts.error == 2);
  CHECK(counts.total() == 4);
  CHECK(engine->job_get(a)->state == JobState::completed);
  CHECK(engine->job_get(bad)->state == JobState::retryable);
  CHECK(engine->job_get(unknown)->errors.at(0).message == "unknown worker Nobody");
  CHECK(engine->job_get(elsewhere)->state == JobState::available);
  CHECK(drain_queue(*engine, *registry, "default").total() == 0);
}

TEST_CASE("enqueued finds waiting jobs of a worker by a subset of their args") {
  auto engine = make_lite_engine();
  JobId first =
      insert(*engine, "Mailer", {{"to", "ada"}, {"template", {{"name", "welcome"}, {"lang", "en"}}}});
  JobId second =
      insert(*engine, "Mailer", {{"to", "bob"}, {"template", {{"name", "welcome"}, {"lang", "fr"}}}});
  insert(*engine, "Billing", {{"to", "ada"}});

  auto ids = [](const std::vector<Job>& jobs) {
    std::vector<JobId> out;
    for (const Job& job : jobs) out.push_back(job.id);
    return out;
  };
  CHECK(ids(enqueued(*engine, "Mailer")) == std::vector<JobId>{first, second});
  CHECK(ids(enqueued(*engine, "Mailer", {{"to", "ada"}})) == std::vector<JobId>{first});
  CHECK(ids(enqueued(*engine, "Mailer", {{"template", {{"lang", "fr"}}}})) == std::vector<JobId>{second});
  CHECK(enqueued(*engine, "Mailer", {{"to", "eve"}}).empty());
  CHECK(enqueued(*engine, "Nobody").empty());
}

}  // namespace jobrunner::testing
