// Several processes on one database, each inserting jobs from several threads while its runner
// claims and runs jobs from every process: every job inserted is completed, executed exactly once,
// and no caller ever sees an error (no SQLITE_BUSY gets through busy_timeout and the retries).
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "loop_support.h"
#include "process/process_jobrunner.h"

namespace jobrunner::testing {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kProcesses = 4;
constexpr int kThreads = 8;  // per process: the runner's executors, and as many inserting threads

// JOBRUNNER_CONCURRENCY_SECONDS, else 3: how long each process inserts.
int insert_seconds() {
  const char* text = std::getenv("JOBRUNNER_CONCURRENCY_SECONDS");
  int n = text == nullptr ? 0 : std::atoi(text);
  return n > 0 ? n : 3;
}

// The number after "key=" in a line such as "STOPPED inserted=12 executions=12 ...".
std::int64_t field(const std::string& line, const std::string& key) {
  auto at = line.find(" " + key + "=");
  INFO("line: " << line << ", key: " << key);
  REQUIRE(at != std::string::npos);
  return std::stoll(line.substr(at + key.size() + 2));
}

// How many times each id appears in a file of one id per line.
void count_ids(const std::string& path, std::map<JobId, std::int64_t>& counts) {
  std::ifstream in(path);
  REQUIRE(in.good());
  for (JobId id; in >> id;) ++counts[id];
}

struct JobRow {
  std::string state;
  int attempt = 0;
  std::string completed_by;  // the process named in the result
};

std::map<JobId, JobRow> all_jobs(SQLite::Database& db) {
  std::map<JobId, JobRow> out;
  SQLite::Statement q(db,
                      "SELECT id, state, attempt, coalesce(json_extract(result, '$.process'), '') FROM jobs");
  while (q.executeStep()) {
    out[q.getColumn(0).getInt64()] = {q.getColumn(1).getString(), q.getColumn(2).getInt(),
                                      q.getColumn(3).getString()};
  }
  return out;
}

std::int64_t count(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getInt64();
}

}  // namespace

TEST_CASE(
    "concurrency: 4 processes x 8 threads inserting and running jobs on one database run each job exactly "
    "once",
    "[process][concurrency]") {
  TempDir dir;
  const std::string path = dir.file("jobs.db");
  open_database(path);  // a new file gets the schema here, before the processes share it
  SQLite::Database db(path, SQLite::OPEN_READWRITE, 10'000);
  const int seconds = insert_seconds();

  std::vector<std::unique_ptr<Child>> hosts;
  for (int p = 0; p < kProcesses; ++p) {
    const std::string name = "p" + std::to_string(p);
    hosts.push_back(std::make_unique<Child>(
        std::vector<std::string>{CONTENTION_HOST_BIN, "--db=" + path, "--out=" + dir.path().string(),
                                 "--name=" + name, "--concurrency=" + std::to_string(kThreads),
                                 "--inserters=" + std::to_string(kThreads),
                                 "--seconds=" + std::to_string(seconds)},
        dir.file("stderr-" + name)));
  }
  const auto began = SteadyClock::now();
  for (int p = 0; p < kProcesses; ++p) {
    INFO("process p" << p << " stderr:\n" << tail_of_file(dir.file("stderr-p" + std::to_string(p))));
    REQUIRE(hosts[static_cast<std::size_t>(p)]->wait_for_line("READY", Millis(30'000)));
  }
  std::int64_t inserted = 0;
  for (int p = 0; p < kProcesses; ++p) {
    auto line =
        hosts[static_cast<std::size_t>(p)]->wait_for_line("INSERTED", Millis(seconds * 1000 + 60'000));
    INFO("process p" << p << " stderr:\n" << tail_of_file(dir.file("stderr-p" + std::to_string(p))));
    REQUIRE(line);
    CHECK(field(*line, "insert_errors") == 0);
    inserted += field(*line, "jobs");
  }
  const auto inserts_ended = SteadyClock::now();
  const std::string unfinished =
      "SELECT count(*) FROM jobs WHERE state NOT IN ('completed', 'discarded', 'cancelled')";
  REQUIRE(eventually([&] { return count(db, unfinished) == 0; }, std::chrono::milliseconds(120'000)));
  const auto drained = SteadyClock::now();

  for (auto& host : hosts) host->signal(SIGTERM);
  std::map<std::string, std::int64_t> reported;  // the counts summed over the processes
  for (int p = 0; p < kProcesses; ++p) {
    Child& host = *hosts[static_cast<std::size_t>(p)];
    std::optional<int> status = host.wait_exit(Millis(30'000));
    INFO("process p" << p << " stderr:\n" << tail_of_file(dir.file("stderr-p" + std::to_string(p))));
    REQUIRE(status);
    CHECK(describe_status(*status) == "exited 0");
    auto line = host.wait_for_line("STOPPED", Millis(0));
    REQUIRE(line);
    for (const char* key : {"inserted", "executions", "completed", "insert_errors", "checkpoint_errors",
                            "other_outcomes", "logged_errors", "released"}) {
      reported[key] += field(*line, key);
    }
  }
  // No error reached any caller: inserts, checkpoints, outcomes, and the runner's own claims,
  // finishes, heartbeats and lease renewals (each logged as a warning or error when it fails).
  CHECK(reported["insert_errors"] == 0);
  CHECK(reported["checkpoint_errors"] == 0);
  CHECK(reported["other_outcomes"] == 0);
  CHECK(reported["logged_errors"] == 0);
  CHECK(reported["released"] == 0);

  std::map<JobId, std::int64_t> inserted_ids, executed;
  std::map<JobId, std::string> executed_by;
  for (int p = 0; p < kProcesses; ++p) {
    const std::string name = "p" + std::to_string(p);
    count_ids(dir.file("inserted-" + name), inserted_ids);
    std::map<JobId, std::int64_t> here;
    count_ids(dir.file("executed-" + name), here);
    for (const auto& [id, n] : here) {
      executed[id] += n;
      executed_by[id] = name;
    }
  }
  std::map<JobId, std::int64_t> effects;
  {
    SQLite::Statement q(db, "SELECT job_id, count(*) FROM effect GROUP BY job_id");
    while (q.executeStep()) effects[q.getColumn(0).getInt64()] = q.getColumn(1).getInt64();
  }
  const std::map<JobId, JobRow> jobs = all_jobs(db);

  REQUIRE(inserted > 0);
  CHECK(reported["inserted"] == inserted);
  CHECK(static_cast<std::int64_t>(inserted_ids.size()) == inserted);
  CHECK(jobs.size() == inserted_ids.size());
  CHECK(reported["executions"] == inserted);
  CHECK(reported["completed"] == inserted);
  std::int64_t lost = 0, twice = 0, not_inserted = 0;
  for (const auto& [id, times] : inserted_ids) {
    INFO("job " << id);
    CHECK(times == 1);  // an id handed out once
    auto job = jobs.find(id);
    if (job == jobs.end()) {
      ++lost;
      continue;
    }
    CHECK(job->second.state == "completed");
    CHECK(job->second.attempt == 1);
    CHECK(executed[id] == 1);
    CHECK(effects[id] == 1);
    CHECK(job->second.completed_by == executed_by[id]);
    if (executed[id] > 1 || effects[id] > 1) ++twice;
  }
  for (const auto& [id, row] : jobs) {
    if (!inserted_ids.contains(id)) ++not_inserted;
  }
  CHECK(lost == 0);
  CHECK(twice == 0);
  CHECK(not_inserted == 0);
  CHECK(executed.size() == inserted_ids.size());
  CHECK(count(db, "SELECT count(*) FROM effect") == inserted);
  {
    SQLite::Statement q(db, "PRAGMA integrity_check");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getString() == "ok");
  }

  using Seconds = std::chrono::duration<double>;
  const double insert_s = Seconds(inserts_ended - began).count();
  const double total_s = Seconds(drained - began).count();
  std::cout << "concurrency: " << kProcesses << " processes x (" << kThreads << " executors + " << kThreads
            << " inserting threads), inserting for " << seconds << " s\n"
            << "concurrency: " << inserted << " jobs inserted and run, each exactly once; "
            << static_cast<std::int64_t>(static_cast<double>(inserted) / insert_s)
            << " jobs/s inserted while running, "
            << static_cast<std::int64_t>(static_cast<double>(inserted) / total_s)
            << " jobs/s from first insert to last completion (" << static_cast<std::int64_t>(total_s * 1000)
            << " ms); the last job completed "
            << std::chrono::duration_cast<Millis>(drained - inserts_ended).count()
            << " ms after the inserts ended" << std::endl;
}

}  // namespace jobrunner::testing
