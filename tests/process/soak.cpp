// The soak: the jobrunner daemon is fed a steady stream of short chunked jobs from another process
// and restarted with SIGTERM at regular intervals. Its memory, its open files and the database's
// WAL stay bounded, and every job inserted ends completed.
//
// Short by default (about 25 s). JOBRUNNER_SOAK_SECONDS sets the total running time and
// JOBRUNNER_SOAK_RESTARTS how many times it is cut by a SIGTERM (default 4); each daemon runs for
// seconds / restarts.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "loop_support.h"
#include "process/process_jobrunner.h"
#include "workers/registry.h"
#include "workers/test_job.h"

namespace jobrunner::testing {

namespace {

using SteadyClock = std::chrono::steady_clock;

int env_number(const char* name, int fallback) {
  const char* text = std::getenv(name);
  int n = text == nullptr ? 0 : std::atoi(text);
  return n > 0 ? n : fallback;
}

// A process as /proc shows it, and the WAL's size, at one moment.
struct Sample {
  std::int64_t rss_kb = 0;
  std::int64_t threads = 0;
  std::int64_t fds = 0;
  std::int64_t wal_bytes = 0;
};

// A "Name:   value" line of /proc/PID/status, or -1 when it is missing.
std::int64_t status_field(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(name + ":")) return std::stoll(line.substr(name.size() + 1));
  }
  return -1;
}

std::int64_t open_files(pid_t pid) {
  std::error_code ec;
  std::int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

std::int64_t size_of(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

Sample sample_of(pid_t pid, const std::string& wal) {
  return {status_field(pid, "VmRSS"), status_field(pid, "Threads"), open_files(pid), size_of(wal)};
}

// The stream of jobs: keeps between kLow and kHigh TestJobs waiting, and remembers every id.
class Feed {
 public:
  static constexpr std::int64_t kLow = 50;
  static constexpr std::int64_t kHigh = 100;

  explicit Feed(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}

  std::int64_t waiting() {
    JobFilter f;
    f.states = {JobState::available};
    auto counts = engine_->job_count(f);
    INFO(counts.status().to_string());
    REQUIRE(counts.is_ok());
    std::int64_t n = 0;
    for (const StateCount& c : *counts) n += c.count;
    return n;
  }

  void top_up() {
    const std::int64_t n = kHigh - waiting();
    if (n <= 0) return;
    // 4 chunks of 10 ms: each job saves 4 checkpoints and a result.
    std::vector<NewJob> jobs;
    for (NewJob& job : workers::test_job_multiple(static_cast<int>(n), Millis(40), Millis(10))) {
      jobs.push_back(registry_->with_defaults(std::move(job)));
    }
    auto inserted = engine_->job_insert_many(jobs, SystemClock().now());
    INFO(inserted.status().to_string());
    REQUIRE(inserted.is_ok());
    for (const InsertResult& r : *inserted) ids_.insert(r.job.id);
  }

  const std::set<JobId>& ids() const { return ids_; }

 private:
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<WorkerRegistry> registry_ = workers::builtin_registry();
  std::set<JobId> ids_;
};

std::int64_t count_in(Engine& engine, JobState state) {
  JobFilter f;
  f.states = {state};
  auto counts = engine.job_count(f);
  REQUIRE(counts.is_ok());
  std::int64_t n = 0;
  for (const StateCount& c : *counts) n += c.count;
  return n;
}

// Sends SIGTERM and checks a clean exit with nothing logged at warning or above.
void stop_daemon(Process& daemon, std::vector<double>& exit_ms) {
  auto signalled = SteadyClock::now();
  daemon.signal(SIGTERM);
  std::optional<ExitStatus> status = daemon.wait_for_exit(std::chrono::milliseconds(30'000));
  exit_ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - signalled).count());
  REQUIRE(daemon.wait_for_output_closed(std::chrono::milliseconds(5'000)));
  INFO("stdout:\n" << daemon.out() << "\nstderr:\n" << daemon.err());
  REQUIRE(status);
  CHECK(status->exited_with(0));
  CHECK(daemon.out().empty());
  CHECK(daemon.err().empty());
}

// An integer PRAGMA of the database.
std::int64_t pragma(const std::string& db, const std::string& name) {
  SQLite::Database conn(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(conn, "PRAGMA " + name);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getInt64();
}

std::string megabytes(std::int64_t bytes) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

}  // namespace

TEST_CASE(
    "soak: a daemon fed a steady stream of jobs and restarted by SIGTERM stays bounded and loses no job",
    "[process][soak]") {
  TempDir dir;
  const std::string db = dir.file("jobs.db");
  const std::string wal = db + "-wal";
  auto engine = open_database(db);
  Feed feed(engine);
  const int restarts = env_number("JOBRUNNER_SOAK_RESTARTS", 4);
  const auto run_for = std::chrono::milliseconds(env_number("JOBRUNNER_SOAK_SECONDS", 24) * 1000 / restarts);
  const auto sample_every = std::chrono::milliseconds(500);
  const std::vector<std::string> argv{JOBRUNNER_BIN, "run",        "--db",        db,
                                      "--queues",    "default:10", "--log-level", "warn"};

  std::vector<std::vector<Sample>> runs;  // the samples of each daemon, in order
  std::vector<double> exit_ms;
  std::int64_t completed_before = 0;
  for (int r = 0; r < restarts; ++r) {
    INFO("daemon run " << r + 1 << " of " << restarts);
    Process daemon(argv);
    auto& samples = runs.emplace_back();
    const auto began = SteadyClock::now();
    auto next_sample = began + sample_every;
    while (SteadyClock::now() < began + run_for) {
      feed.top_up();
      if (SteadyClock::now() >= next_sample) {
        samples.push_back(sample_of(daemon.pid(), wal));
        next_sample += sample_every;
      }
      // The daemon must keep taking jobs: waiting ones fall below the low mark well within 30 s.
      REQUIRE(eventually([&] { return SteadyClock::now() >= next_sample || feed.waiting() < Feed::kLow; },
                         std::chrono::milliseconds(30'000)));
    }
    stop_daemon(daemon, exit_ms);
    CHECK(count_in(*engine, JobState::executing) == 0);
    const std::int64_t completed = count_in(*engine, JobState::completed);
    CHECK(completed > completed_before);  // every run did work
    completed_before = completed;
  }

  // The last run: no more jobs are fed; every job inserted is completed.
  {
    Process daemon(argv);
    REQUIRE(eventually(
        [&] {
          return count_in(*engine, JobState::completed) == static_cast<std::int64_t>(feed.ids().size());
        },
        std::chrono::milliseconds(60'000)));
    stop_daemon(daemon, exit_ms);
  }
  for (JobId id : feed.ids()) {
    Job job = job_in(*engine, id);
    INFO("job " << id);
    CHECK(job.state == JobState::completed);
    CHECK(job.attempt == 1);  // a graceful stop gives its attempt back
  }

  // Bounds. Samples from 1 s after a daemon starts are steady: by then every executor has run jobs
  // and holds its connection.
  // - RSS within a run (a leak grows with the jobs a process runs): at most the run's first steady
  //   sample x 1.25 + 4 MB, room for two connections' page caches (cache_size is 2 MB each) to fill
  //   as the database grows.
  // - RSS across restarts: at most the first run's first steady sample x 1.5 + 8 MB.
  // - Open files and threads: the same in every steady sample of every run, since each thread holds
  //   one connection and every run has the same threads.
  // - The WAL. A commit that leaves more than wal_autocheckpoint pages in it checkpoints them, and
  //   the next write starts the WAL over, cut back to that size. A reset is missed while a reader
  //   still uses the WAL's frames, so it overshoots at times: the median of each run's samples is
  //   at most twice the checkpoint size, and no sample more than four times. A reader that holds a
  //   snapshot stops every reset, and at this write rate the WAL passes four times within seconds.
  const std::int64_t checkpoint_bytes = pragma(db, "wal_autocheckpoint") * pragma(db, "page_size");
  constexpr std::size_t kWarmup = 1;
  REQUIRE(runs.front().size() > kWarmup);
  const Sample& baseline = runs.front()[kWarmup];
  std::int64_t rss_max = 0;
  std::vector<double> wal_all;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    INFO("daemon run " << r + 1);
    REQUIRE(runs[r].size() > kWarmup);
    const Sample& first = runs[r][kWarmup];
    std::vector<double> wal_run;
    for (std::size_t i = kWarmup; i < runs[r].size(); ++i) {
      const Sample& s = runs[r][i];
      INFO("sample " << i << ": rss " << s.rss_kb << " kB, fds " << s.fds << ", threads " << s.threads
                     << ", wal " << s.wal_bytes << " bytes");
      CHECK(static_cast<double>(s.rss_kb) <= static_cast<double>(first.rss_kb) * 1.25 + 4 * 1024);
      CHECK(static_cast<double>(s.rss_kb) <= static_cast<double>(baseline.rss_kb) * 1.5 + 8 * 1024);
      CHECK(s.fds == baseline.fds);
      CHECK(s.threads == baseline.threads);
      CHECK(s.wal_bytes <= 4 * checkpoint_bytes);
      rss_max = std::max(rss_max, s.rss_kb);
      wal_run.push_back(static_cast<double>(s.wal_bytes));
      wal_all.push_back(static_cast<double>(s.wal_bytes));
    }
    CHECK(median_of(wal_run) <= static_cast<double>(2 * checkpoint_bytes));
  }

  std::cout << "soak: " << restarts << " daemon runs of " << run_for.count() << " ms, each ended by SIGTERM; "
            << feed.ids().size() << " jobs, every one completed, attempt 1\n"
            << "soak: RSS first steady " << baseline.rss_kb << " kB, max " << rss_max << " kB; open files "
            << baseline.fds << " and threads " << baseline.threads << " in every steady sample\n"
            << "soak: WAL median " << megabytes(static_cast<std::int64_t>(median_of(wal_all))) << ", max "
            << megabytes(static_cast<std::int64_t>(max_of(wal_all))) << " (checkpoint at "
            << megabytes(checkpoint_bytes) << ")\n";
  for (std::size_t r = 0; r < runs.size(); ++r) {
    std::cout << "soak: run " << r + 1 << ": RSS " << runs[r][kWarmup].rss_kb << " -> "
              << runs[r].back().rss_kb << " kB over " << runs[r].size() << " samples\n";
  }
  std::cout << "soak: SIGTERM to exit: median " << median_of(exit_ms) << " ms, max " << max_of(exit_ms)
            << " ms" << std::endl;
}

}  // namespace jobrunner::testing
