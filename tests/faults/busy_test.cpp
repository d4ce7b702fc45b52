// Another process holds the database's write lock for longer than busy_timeout (a real process,
// started from this test binary, in BEGIN IMMEDIATE until the test lets it go). The engine reports
// busy and changes nothing; the runner waits it out, and no job is lost or run twice.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "durable/durable_support.h"
#include "support/log_capture.h"
#include "support/runner_harness.h"

namespace jobrunner::testing {
namespace {

constexpr Timestamp kNow = 1'700'000'000'000;
constexpr const char* kDbVar = "JOBRUNNER_TEST_DB";
constexpr const char* kLockedFdVar = "JOBRUNNER_TEST_LOCKED_FD";
constexpr const char* kHolder = "helper: hold the write lock until the start gate opens";
constexpr Millis kBusyTimeout{50};

// Whether another connection holds the write lock now (a try that does not wait).
bool write_lock_taken(const std::string& path) {
  SQLite::Database probe(path, SQLite::OPEN_READWRITE);
  try {
    probe.exec("BEGIN IMMEDIATE");
    probe.exec("ROLLBACK");
    return false;
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_BUSY) return true;
    throw;
  }
}

// The other process: started by the constructor, which returns once it holds the write lock;
// release() lets it commit and exit.
class LockHolder {
 public:
  LockHolder(const std::string& path, const TempDir& dir) {
    int locked[2];
    REQUIRE(pipe(locked) == 0);
    pid_ = spawn_test_case(kHolder, {{kDbVar, path}, {kLockedFdVar, std::to_string(locked[1])}, gate_.var()},
                           dir.file("holder.log"));
    close(locked[1]);  // so that the read below ends if the holder dies before it writes
    char byte = 0;
    const bool holds = read(locked[0], &byte, 1) == 1;
    close(locked[0]);
    INFO(file_bytes(dir.file("holder.log")));
    REQUIRE(holds);
    REQUIRE(write_lock_taken(path));
  }
  ~LockHolder() {
    if (pid_ > 0) release();
  }

  void release() {
    gate_.open();
    CHECK(wait_for_exit(pid_) == 0);
    pid_ = -1;
  }

 private:
  StartGate gate_;
  pid_t pid_ = -1;
};

std::shared_ptr<Engine> open_short_busy(const std::string& path) {
  auto engine = open_sqlite_engine({.path = path, .busy_timeout = kBusyTimeout});
  INFO(engine.status().to_string());
  REQUIRE(engine.is_ok());
  return *engine;
}

void require_busy(const Status& s) {
  CHECK(s.code() == StatusCode::busy);
  CHECK_THAT(s.message(), Catch::Contains("database is locked"));
  CHECK_THAT(s.message(), Catch::Contains("busy_timeout"));
}

}  // namespace

TEST_CASE(
    "while another process holds the write lock, engine writes return busy, change nothing, and work after",
    "[faults][busy]") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = open_short_busy(path);
  const Job waiting = insert_job(*engine, echo_job({{"n", 1}}), kNow);
  insert_job(*engine, echo_job({{"n", 2}}), kNow);
  const Job running = claim_job(*engine, kNow);
  REQUIRE(running.id == waiting.id);

  LockHolder holder(path, dir);
  require_busy(engine->job_insert(echo_job({{"n", 3}}), kNow).status());
  require_busy(
      engine->job_claim({.queue = "default", .limit = 5, .owner = "runner-a", .now = kNow}).status());
  JobFinishParams done = outcome(running, FinishKind::complete, kNow);
  done.result = {{"answer", 42}};
  require_busy(finish_job(*engine, done));
  require_busy(engine->job_checkpoint(
      {.id = running.id, .token = running.lease->token, .checkpoint = {{"chunk", 1}}}));
  require_busy(engine->job_rescue({.now = kNow + 3'600'000}).status());
  // Reads do not need the lock.
  auto counts = engine->job_count({});
  REQUIRE(counts.is_ok());
  const Job held = get_job(*engine, running.id);
  CHECK(held.state == JobState::executing);
  CHECK(held.checkpoint.is_null());
  CHECK(held.lease->token == running.lease->token);

  holder.release();
  auto all = engine->job_list({});
  REQUIRE(all.is_ok());
  CHECK(all->size() == 2);
  const Job other = claim_job(*engine, kNow);
  CHECK(other.attempt == 1);
  REQUIRE(finish_job(*engine, done) == Status::ok());
  CHECK(get_job(*engine, running.id).result == json{{"answer", 42}});
  insert_job(*engine, echo_job({{"n", 3}}), kNow);
}

TEST_CASE("a runner waits out another process's write lock: nothing is lost or run twice, and it warns",
          "[faults][busy][runner]") {
  RunnerHarness<DurableEngineFixture> h(4);
  LogCapture log;
  const std::string path = h.f.dir.file("jobs.db");
  h.f.engine = open_short_busy(path);
  h.use_logger(log.logger());
  REQUIRE(h.runner().start().is_ok());

  Job saver = h.insert({{"do", "ignore_stop"}});  // saves a checkpoint once the gate opens, then completes
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, saver.id));
  std::vector<JobId> scheduled;
  for (int i = 0; i < 10; ++i) {
    scheduled.push_back(
        h.insert({{"do", "ok"}, {"n", i}}, [&](NewJob& j) { j.scheduled_at = h.f.now() + 5'000; }).id);
  }

  LockHolder holder(path, h.f.dir);
  // A program's own call waits busy_timeout, then says why it failed.
  NewJob refused;
  refused.worker = kScripted;
  require_busy(h.runner().insert(refused).status());

  h.f.clock->advance(
      Millis(5'000));    // staging, rescue and the heartbeat are due, and all find the lock taken
  h.probe->open_gate();  // the checkpoint waits for the lock
  CHECK(log.wait_for("saving its checkpoint waits for the database lock", spdlog::level::warn));
  CHECK(log.wait_for("staging failed: busy", spdlog::level::warn));
  CHECK(log.wait_for("heartbeat failed: busy", spdlog::level::warn));
  CHECK(h.get(saver.id).state == JobState::executing);
  for (JobId id : scheduled) CHECK(h.get(id).state == JobState::scheduled);

  holder.release();
  h.f.clock->advance(Millis(1));  // the ticker stages at once instead of at its next interval
  REQUIRE(h.wait_stopped(saver.id));
  for (JobId id : scheduled) REQUIRE(h.wait_stopped(id));

  Job saved = h.get(saver.id);
  CHECK(saved.state == JobState::completed);
  CHECK(saved.checkpoint == json{{"late", true}});
  CHECK(saved.result == json{{"checkpoint_saved", true}});
  REQUIRE(h.probe->last_save(saver.id));
  CHECK(*h.probe->last_save(saver.id) == Status::ok());
  for (JobId id : scheduled) {
    Job done = h.get(id);
    CHECK(done.state == JobState::completed);
    CHECK(done.attempt == 1);
    CHECK(done.errors.empty());
    CHECK(h.probe->starts(id) == 1);
  }
  CHECK(h.probe->starts(saver.id) == 1);
  auto all = h.f.engine->job_list({});
  REQUIRE(all.is_ok());
  CHECK(all->size() == 11);  // the refused insert stored nothing
  h.runner().stop();
}

// Runs in the process LockHolder starts; the [.] tag keeps it out of a normal run.
TEST_CASE(kHolder, "[.]") {
  const std::string path = env(kDbVar);
  if (path.empty()) return;
  SQLite::Database db(path, SQLite::OPEN_READWRITE, 60'000);
  db.exec("BEGIN IMMEDIATE");
  const int locked = std::stoi(env(kLockedFdVar));
  REQUIRE(write(locked, "L", 1) == 1);
  close(locked);
  wait_at_start_gate();
  db.exec("COMMIT");
}

}  // namespace jobrunner::testing
