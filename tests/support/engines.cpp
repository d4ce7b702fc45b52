#include "support/engines.h"

#include <stdexcept>

#include "jobrunner/lite_engine.h"
#include "jobrunner/sqlite_engine.h"

namespace jobrunner::testing {

namespace {

std::shared_ptr<Engine> open_durable(const TempDir& dir) {
  auto engine = open_sqlite_engine(SqliteOptions{.path = dir.file("jobs.db")});
  if (!engine.is_ok()) {
    throw std::runtime_error("cannot open the durable engine: " + engine.status().to_string());
  }
  return *engine;
}

}  // namespace

LiteEngineFixture::LiteEngineFixture() : clock(std::make_shared<FakeClock>()), engine(make_lite_engine()) {}

DurableEngineFixture::DurableEngineFixture()
    : clock(std::make_shared<FakeClock>()), engine(open_durable(dir)) {}

void DurableEngineFixture::reopen() {
  engine.reset();
  engine = open_durable(dir);
}

NewJob echo_job(json args, std::string queue) {
  NewJob job;
  job.worker = "echo";
  job.args = std::move(args);
  job.queue = std::move(queue);
  job.priority = 0;
  job.max_attempts = 5;
  return job;
}

Job insert_job(Engine& engine, const NewJob& job, Timestamp now) {
  auto inserted = engine.job_insert(job, now);
  REQUIRE(inserted.status() == Status::ok());
  REQUIRE_FALSE(inserted->duplicate);
  return inserted->job;
}

std::vector<Job> claim_jobs(Engine& engine, Timestamp now, int limit, const std::string& queue) {
  auto claimed = engine.job_claim({.queue = queue, .limit = limit, .owner = "runner-a", .now = now});
  REQUIRE(claimed.status() == Status::ok());
  return *claimed;
}

Job claim_job(Engine& engine, Timestamp now, const std::string& queue) {
  auto claimed = claim_jobs(engine, now, 1, queue);
  REQUIRE(claimed.size() == 1);
  return claimed.front();
}

Job get_job(Engine& engine, JobId id) {
  auto job = engine.job_get(id);
  REQUIRE(job.status() == Status::ok());
  return *job;
}

JobFinishParams outcome(const Job& claimed, FinishKind kind, Timestamp now) {
  REQUIRE(claimed.lease.has_value());
  return {.id = claimed.id, .token = claimed.lease->token, .kind = kind, .now = now};
}

Status finish_job(Engine& engine, const JobFinishParams& p) {
  auto statuses = engine.job_finish(std::span(&p, 1));
  REQUIRE(statuses.size() == 1);
  return statuses.front();
}

}  // namespace jobrunner::testing
