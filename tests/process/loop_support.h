// What the crash and shutdown loops share: a child process driven through its stdout and signals,
// crash_host started on one database run after run, and that database as the loops inspect it.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "jobrunner/engine.h"
#include "support/temp_dir.h"

namespace SQLite {
class Database;
}

namespace jobrunner::testing {

// A child process: its stdout on a pipe, its stderr appended to a file.
class Child {
 public:
  // Starts argv[0] (a path) with argv.
  Child(const std::vector<std::string>& argv, const std::string& stderr_path);
  // SIGKILLs and reaps the child if it is still running.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until a line starting with prefix; returns that line. Nullopt when the output
  // ends or timeout passes first.
  std::optional<std::string> wait_for_line(std::string_view prefix, Millis timeout);
  // Every line read so far, including those wait_for_line skipped.
  const std::vector<std::string>& lines() const { return lines_; }
  void signal(int sig);
  // Waits up to timeout for the child to end, reading its stdout meanwhile. Returns its wait status
  // (as waitpid gives it), or nullopt while it still runs.
  std::optional<int> wait_exit(Millis timeout);

 private:
  // Waits up to timeout for output or exit and takes what came; false when nothing did.
  bool pump(Millis timeout);

  pid_t pid_ = -1;
  int out_ = -1;
  int pidfd_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
  std::size_t seen_ = 0;  // lines_ already offered to wait_for_line
  std::optional<int> status_;
};

// "exited 0", "killed by signal 9", ...
std::string describe_status(int status);

// The last max_bytes of a file (a child's stderr, for a failure's report); empty when it is missing.
std::string tail_of_file(const std::string& path, std::size_t max_bytes = 4000);

// One job as the loops sample it.
struct JobSample {
  JobId id = 0;
  JobState state = JobState::available;
  int attempt = 0;
  std::int64_t next_chunk = 0;  // from the checkpoint; 0 before the first one
  std::int64_t chunks = 0;
  bool leased = false;
};

// crash_host's flags; each start passes them as they are then.
struct HostOptions {
  int jobs = 6;
  std::int64_t chunks = 20;
  // Each chunk works for a time between these, varying with job, chunk and run.
  Millis chunk_min{20};
  Millis chunk_max{40};

  void set_chunk(Millis d) { chunk_min = chunk_max = d; }
  Millis grace{30'000};
  bool exit_when_done = true;
  bool announce_chunks = false;
};

// One run of crash_host.
struct HostRun {
  std::unique_ptr<Child> child;
  std::int64_t id = 0;
  std::int64_t spawned_us = 0;  // system clock, as crash_host records chunk starts
  Millis to_ready{0};
};

// crash_host's database across runs: starts the host, and checks after each run that every
// committed chunk is in the checkpoint, exactly once, and that no checkpoint went backwards.
class HostLoop {
 public:
  explicit HostLoop(HostOptions options);
  ~HostLoop();

  HostOptions options;

  // Starts crash_host (enqueueing a new round of jobs when none is left unfinished) and waits for READY.
  HostRun start();
  // Starts crash_host and waits for it to complete every job and exit 0.
  void run_to_completion();

  // Every job now. Checks that each checkpoint equals the chunk_log rows of its job and has not gone
  // back since the previous sample.
  std::vector<JobSample> sample();

  // chunk_log rows (committed chunks) and chunk_start rows (chunk starts), by job.
  std::map<JobId, std::int64_t> committed();
  std::map<JobId, std::int64_t> starts();
  // (job, chunk) pairs committed more than once.
  std::int64_t chunks_committed_twice();
  // Chunks that run `run` started but did not commit: cut short by a kill, to be done again.
  std::int64_t starts_not_committed(std::int64_t run);
  // The first chunk start of run `run` among `jobs`, in system-clock microseconds.
  std::optional<std::int64_t> first_start_us(std::int64_t run, const std::set<JobId>& jobs);
  std::string integrity_check();
  // "3 rounds of 6 jobs x 20 chunks of 20-40 ms": the work the loop has done, for its report.
  std::string workload() const;
  std::string stderr_path() const { return dir_.file("host.stderr"); }

 private:
  std::int64_t count(const std::string& sql);
  std::map<JobId, std::int64_t> per_job(const std::string& sql);

  TempDir dir_;
  std::string db_path_;
  std::shared_ptr<Engine> engine_;
  std::unique_ptr<SQLite::Database> db_;
  std::int64_t runs_ = 0;
  std::int64_t rounds_ = 0;
  std::map<JobId, std::int64_t> last_next_;
};

// How many kills (or stops) a loop makes: JOBRUNNER_CRASH_ITERATIONS, else `fallback`.
int loop_iterations(int fallback);

// Figures over a list of samples; 0 for an empty list.
double median_of(std::vector<double> v);
double max_of(const std::vector<double>& v);
double mean_of(const std::vector<double>& v);

}  // namespace jobrunner::testing
