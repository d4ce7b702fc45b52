// jobrunner-bench: what a scenario is given, what it reports, and the helpers every scenario uses.
//
// A scenario is a function from Settings to one or more Figures objects (JSON): the numbers it
// measured, named as docs/BENCHMARKS.md lists them. main.cpp adds the machine and the settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jobrunner/engine.h"
#include "jobrunner/runner.h"
#include "jobrunner/sqlite_engine.h"

namespace jobrunner::bench {

struct Settings {
  std::string scenario;
  std::string engine = "durable";  // lite or durable
  std::int64_t jobs = 0;           // 0: the scenario's default
  int concurrency = 10;
  Synchronous synchronous = Synchronous::normal;
  int repeat = 1;                    // runs whose figures are reported as medians
  bool cross_process = false;        // latency: insert from another process
  bool with_baseline = false;        // throughput, insert: run the sqlite3 floor in the same process
  int rate = 500;                    // latency: inserts per second
  std::vector<std::int64_t> depths;  // depth: waiting jobs; empty: 10k, 100k, 1M
  std::string self;                  // this binary, for scenarios that start child processes
};

// One scenario run's figures, e.g. {"jobs_per_s": 61234.5}.
using Figures = json;
using Scenario = std::function<std::vector<Figures>(const Settings&)>;

// The scenario's registered name -> its function; runs `repeat` times inside.
Scenario find_scenario(const std::string& name);
std::vector<std::string> scenario_names();

// A clock for measuring: steady, in seconds or nanoseconds. CLOCK_MONOTONIC is shared by every
// process of the machine, so a time taken in one process compares with one taken in another.
inline double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
inline std::int64_t nanos_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The p-th percentile (0..100) of `values`, by nearest rank; 0 when empty.
double percentile(std::vector<double> values, double p);
// Median of each numeric field across runs; other fields come from the first run.
Figures median_of(const std::vector<Figures>& runs);

// Resident set size now and at its peak (VmRSS, VmHWM), in bytes.
std::int64_t rss_bytes();
std::int64_t peak_rss_bytes();

// A temporary directory removed with everything in it when this goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A fresh engine of the settings' kind: lite, or durable at `db` with the settings' synchronous.
// Exits with a message when it cannot be opened.
std::shared_ptr<Engine> open_engine(const Settings& s, const std::filesystem::path& db);

// How many jobs insert_jobs() and finish_jobs() write in one engine call.
inline constexpr std::int64_t kInsertBatch = 10'000;

// Inserts n jobs of `worker` in batches of kInsertBatch, args from args_for(i). Exits on an engine error.
void insert_jobs(Engine& engine, std::int64_t n, const std::string& worker,
                 const std::function<json(std::int64_t)>& args_for = {});

// Takes `n` waiting jobs through claim and complete in batches, so that they sit finished in the store.
void finish_jobs(Engine& engine, std::int64_t n);

// Durable only: copies the whole WAL into the database and empties it (a TRUNCATE checkpoint on a
// connection of its own), so that a measurement does not share the disk with the checkpoint of the
// rows written to set it up. Exits with a message when SQLite refuses.
void settle_wal(const Settings& s, const std::filesystem::path& db);

// The workers the scenarios run: "Noop" returns ok at once; "Chunks" is a ChunkedWorker whose
// args say how many chunks and how long each lasts ("chunks", "chunk_ms").
std::shared_ptr<const WorkerRegistry> bench_workers();
inline constexpr const char* kNoop = "Noop";
inline constexpr const char* kChunks = "Chunks";

// Runner options for a benchmark: one queue with the settings' concurrency, logs at warn only.
RunnerOptions runner_options(const Settings& s);

// Starts a runner over `engine`, runs it until `n` jobs have ended and returns jobs per second from
// the first job's start to the last job's end.
double run_to_completion(const Settings& s, const std::shared_ptr<Engine>& engine, std::int64_t n);

// Calls insert() n times, `rate` times a second.
void paced(std::int64_t n, int rate, const std::function<void()>& insert);

// Exits the process with a one-line message: the bench cannot go on.
[[noreturn]] void fail(const std::string& message);
// The value of a Result, or fail() with its error.
template <class T>
T must(Result<T> r, const std::string& what) {
  if (!r.is_ok()) fail(what + ": " + r.status().to_string());
  return std::move(r).value();
}

}  // namespace jobrunner::bench
