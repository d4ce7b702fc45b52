// Many claimers on one database file, as threads of one process and as separate processes: no job
// is ever handed to two of them, and every job is handed to one. And a process notices another's
// writes through data_version().
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <latch>
#include <set>
#include <thread>

#include "durable_support.h"
#include "support/engines.h"
#include "support/temp_dir.h"

using namespace jobrunner;
using jobrunner::testing::TempDir;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;
constexpr const char* kDbVar = "JOBRUNNER_TEST_DB";
constexpr const char* kOutVar = "JOBRUNNER_TEST_OUT";
constexpr const char* kClaimHelper = "helper: claim and complete jobs until the queue is empty";
constexpr const char* kInsertHelper = "helper: insert one job";

std::vector<JobId> insert_jobs(Engine& engine, int n) {
  std::vector<NewJob> jobs;
  for (int i = 0; i < n; ++i) jobs.push_back(testing::echo_job({{"i", i}}));
  auto inserted = engine.job_insert_many(jobs, kNow);
  REQUIRE(inserted.is_ok());
  std::vector<JobId> ids;
  for (const InsertResult& r : *inserted) ids.push_back(r.job.id);
  return ids;
}

// Claims a few jobs at a time and completes them, until none is left. Returns the ids claimed, or
// the first error. It asserts nothing itself: it runs on many threads at once, and Catch's assertions
// are not thread-safe (TSan reports them).
Result<std::vector<JobId>> claim_until_empty(Engine& engine, const std::string& owner) {
  std::vector<JobId> claimed;
  for (;;) {
    auto jobs = engine.job_claim({.queue = "default", .limit = 3, .owner = owner, .now = kNow});
    if (!jobs.is_ok()) return jobs.status();
    if (jobs->empty()) return claimed;
    std::vector<JobFinishParams> done;
    for (const Job& j : *jobs) {
      claimed.push_back(j.id);
      if (!j.lease) return Status::invalid("job " + std::to_string(j.id) + " was claimed without a lease");
      done.push_back({.id = j.id, .token = j.lease->token, .kind = FinishKind::complete, .now = kNow});
    }
    for (const Status& s : engine.job_finish(done)) {
      if (!s.is_ok()) return s;
    }
  }
}

// Checks that the claimers' ids are disjoint and together are exactly `all`.
void require_disjoint_and_complete(const std::vector<std::vector<JobId>>& by_claimer,
                                   std::vector<JobId> all) {
  std::set<JobId> seen;
  for (const auto& ids : by_claimer) {
    for (JobId id : ids) {
      INFO("job " << id);
      REQUIRE(seen.insert(id).second);
    }
  }
  std::sort(all.begin(), all.end());
  CHECK(std::vector<JobId>(seen.begin(), seen.end()) == all);
}

std::vector<JobId> read_ids(const std::string& path) {
  std::ifstream in(path);
  std::vector<JobId> ids;
  for (JobId id; in >> id;) ids.push_back(id);
  return ids;
}

void require_exit_ok(pid_t pid, const std::string& log) {
  const int code = testing::wait_for_exit(pid);
  INFO("helper report:\n" << testing::file_bytes(log));
  REQUIRE(code == 0);
}

}  // namespace

TEST_CASE("many threads claiming at once never get the same job", "[concurrency]") {
  TempDir dir;
  auto engine = testing::open_durable_engine(dir.file("jobs.db"));
  const std::vector<JobId> all = insert_jobs(*engine, 1200);

  constexpr int kThreads = 8;
  std::vector<std::vector<JobId>> by_thread(kThreads);
  std::vector<Status> failures(kThreads);
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        auto claimed = claim_until_empty(*engine, "runner-" + std::to_string(t));
        const auto i = static_cast<std::size_t>(t);
        if (claimed.is_ok()) {
          by_thread[i] = std::move(*claimed);
        } else {
          failures[i] = claimed.status();
        }
      });
    }
  }
  for (const Status& s : failures) CHECK(s == Status::ok());
  require_disjoint_and_complete(by_thread, all);
}

TEST_CASE("two processes claiming from one file never claim the same job", "[concurrency]") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  std::vector<JobId> all;
  {
    auto engine = testing::open_durable_engine(path);
    all = insert_jobs(*engine, 3000);
  }

  testing::StartGate gate;
  std::vector<pid_t> pids;
  for (int p = 0; p < 2; ++p) {
    const std::string n = std::to_string(p);
    pids.push_back(testing::spawn_test_case(kClaimHelper,
                                            {{kDbVar, path}, {kOutVar, dir.file("claimed-" + n)}, gate.var()},
                                            dir.file("helper-" + n)));
  }
  gate.open();
  std::vector<std::vector<JobId>> by_process;
  for (int p = 0; p < 2; ++p) {
    const std::string n = std::to_string(p);
    require_exit_ok(pids[static_cast<std::size_t>(p)], dir.file("helper-" + n));
    by_process.push_back(read_ids(dir.file("claimed-" + n)));
    INFO("process " << p << " claimed " << by_process.back().size());
    CHECK_FALSE(by_process.back().empty());
  }
  require_disjoint_and_complete(by_process, all);

  auto engine = testing::open_durable_engine(path);
  auto counts = engine->job_count({});
  REQUIRE(counts.is_ok());
  REQUIRE(counts->size() == 1);
  CHECK(counts->front().state == JobState::completed);
  CHECK(counts->front().count == static_cast<std::int64_t>(all.size()));
}

TEST_CASE("a job inserted by another process changes data_version", "[concurrency]") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  auto engine = testing::open_durable_engine(path);
  const auto before = engine->data_version();
  REQUIRE(before.is_ok());
  CHECK(*engine->data_version() == *before);

  const std::string log = dir.file("helper");
  require_exit_ok(testing::spawn_test_case(kInsertHelper, {{kDbVar, path}}, log), log);

  const auto after = engine->data_version();
  REQUIRE(after.is_ok());
  CHECK(*after != *before);
  auto jobs = engine->job_list({});
  REQUIRE(jobs.is_ok());
  CHECK(jobs->size() == 1);
}

TEST_CASE("a write by another thread of the same process changes data_version", "[concurrency]") {
  TempDir dir;
  auto engine = testing::open_durable_engine(dir.file("jobs.db"));
  const auto before = engine->data_version();
  REQUIRE(before.is_ok());
  std::thread([&] { testing::insert_job(*engine, testing::echo_job(), kNow); }).join();
  CHECK(*engine->data_version() != *before);
}

// The helpers run in processes started by the tests above; the [.] tag keeps them out of a normal run.
TEST_CASE(kClaimHelper, "[.]") {
  const std::string path = testing::env(kDbVar);
  if (path.empty()) return;
  auto engine = testing::open_durable_engine(path);
  testing::wait_at_start_gate();
  const auto claimed = claim_until_empty(*engine, "process-" + std::to_string(getpid()));
  REQUIRE(claimed.status() == Status::ok());
  std::ofstream out(testing::env(kOutVar));
  for (JobId id : *claimed) out << id << '\n';
  REQUIRE(out.good());
}

TEST_CASE(kInsertHelper, "[.]") {
  const std::string path = testing::env(kDbVar);
  if (path.empty()) return;
  auto engine = testing::open_durable_engine(path);
  testing::insert_job(*engine, testing::echo_job({{"from", "another process"}}), kNow);
}
