#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "bench.h"
#include "jobrunner/chunked.h"
#include "jobrunner/lite_engine.h"

namespace jobrunner::bench {

namespace {

class Noop final : public Worker {
 public:
  Outcome perform(JobContext&) const override { return Outcome::ok(); }
};

class Chunks final : public ChunkedWorker {
 protected:
  std::int64_t chunk_count(JobContext& ctx) const override { return ctx.args().value("chunks", 1); }
  bool run_chunk(Chunk& chunk) const override {
    const Millis length(chunk.ctx().args().value("chunk_ms", 0));
    return length.count() == 0 || chunk.ctx().work_for(length);
  }
  Outcome finish(JobContext&, const ChunkRun&) const override { return Outcome::ok(); }
};

std::int64_t status_field_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size()));
  }
  return 0;
}

}  // namespace

void fail(const std::string& message) {
  std::cerr << "jobrunner-bench: " << message << '\n';
  std::exit(1);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size()));
  return values[std::min(rank, values.size() - 1)];
}

Figures median_of(const std::vector<Figures>& runs) {
  Figures out = runs.front();
  for (auto& [key, value] : out.items()) {
    if (!value.is_number()) continue;
    std::vector<double> samples;
    for (const Figures& r : runs) samples.push_back(r.at(key).get<double>());
    std::sort(samples.begin(), samples.end());
    const double median = samples[samples.size() / 2];
    value = value.is_number_integer() ? json(static_cast<std::int64_t>(median)) : json(median);
  }
  return out;
}

std::int64_t rss_bytes() { return status_field_kb("VmRSS:") * 1024; }
std::int64_t peak_rss_bytes() { return status_field_kb("VmHWM:") * 1024; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "jobrunner-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary directory in " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::shared_ptr<Engine> open_engine(const Settings& s, const std::filesystem::path& db) {
  if (s.engine == "lite") return make_lite_engine();
  SqliteOptions o;
  o.path = db.string();
  o.synchronous = s.synchronous;
  return must(open_sqlite_engine(o), "opening " + o.path);
}

void insert_jobs(Engine& engine, std::int64_t n, const std::string& worker,
                 const std::function<json(std::int64_t)>& args_for) {
  std::vector<NewJob> batch;
  for (std::int64_t i = 0; i < n; ++i) {
    NewJob job;
    job.worker = worker;
    job.queue = "default";
    job.max_attempts = 20;
    if (args_for) job.args = args_for(i);
    batch.push_back(std::move(job));
    if (std::ssize(batch) == kInsertBatch || i + 1 == n) {
      must(engine.job_insert_many(batch, SystemClock().now()), "inserting jobs");
      batch.clear();
    }
  }
}

void finish_jobs(Engine& engine, std::int64_t n) {
  while (n > 0) {
    const Timestamp now = SystemClock().now();
    auto claimed =
        must(engine.job_claim({"default", static_cast<int>(std::min(n, kInsertBatch)), "bench-setup", now}),
             "claiming jobs to finish");
    if (claimed.empty()) fail("fewer jobs waiting than the scenario needs to finish");
    std::vector<JobFinishParams> items(claimed.size());
    for (std::size_t i = 0; i < claimed.size(); ++i) {
      items[i].id = claimed[i].id;
      items[i].token = claimed[i].lease->token;
      items[i].now = now;
    }
    for (const Status& st : engine.job_finish(items)) {
      if (!st.is_ok()) fail("finishing jobs: " + st.to_string());
    }
    n -= std::ssize(claimed);
  }
}

void settle_wal(const Settings& s, const std::filesystem::path& db) {
  if (s.engine == "lite") return;
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_busy_timeout(handle, 10'000);
  if (rc == SQLITE_OK)
    rc = sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  const std::string message = handle ? sqlite3_errmsg(handle) : "out of memory";
  sqlite3_close(handle);
  if (rc != SQLITE_OK) fail("checkpointing the WAL of " + db.string() + ": " + message);
}

void paced(std::int64_t n, int rate, const std::function<void()>& insert) {
  const auto period = std::chrono::nanoseconds(1'000'000'000 / rate);
  auto next = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < n; ++i) {
    std::this_thread::sleep_until(next);
    insert();
    next += period;
  }
}

std::shared_ptr<const WorkerRegistry> bench_workers() {
  auto registry = std::make_shared<WorkerRegistry>();
  registry->add(kNoop, std::make_shared<Noop>());
  registry->add(kChunks, std::make_shared<Chunks>());
  return registry;
}

RunnerOptions runner_options(const Settings& s) {
  RunnerOptions o;
  o.queues = {{"default", s.concurrency}};
  // A log line per job is the daemon's default at info; a benchmark measures the engine instead.
  auto logger = spdlog::stderr_color_mt("bench-" + std::to_string(nanos_now()));
  logger->set_level(spdlog::level::warn);
  o.logger = std::move(logger);
  return o;
}

double run_to_completion(const Settings& s, const std::shared_ptr<Engine>& engine, std::int64_t n) {
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t ended = 0;
  double first = 0, last = 0;
  Runner runner(engine, bench_workers(), runner_options(s));
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind != EventKind::job_start && e.kind != EventKind::job_stop) return;
    std::lock_guard lock(mu);  // handlers run on several threads at once
    if (e.kind == EventKind::job_start) {
      if (first == 0) first = seconds_now();
      return;
    }
    if (++ended == n) {
      last = seconds_now();
      cv.notify_all();
    }
  });
  if (Status st = runner.start(); !st.is_ok()) fail("starting the runner: " + st.to_string());
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ended >= n; });
  }
  runner.stop();
  return static_cast<double>(n) / (last - first);
}

}  // namespace jobrunner::bench
