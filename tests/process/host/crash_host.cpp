// crash_host: a durable runner with one chunked worker, for the real-process crash and shutdown loops.
//
// Every chunk is recorded twice. chunk_start gets a row, committed on its own connection, before the
// chunk's work begins: it counts chunk starts, including those a kill cut short. chunk_log gets a row
// in the chunk's checkpoint transaction: it counts exactly the chunks that took effect.
//
// stdout, one line per event, for the test to wait on: READY once the runner has started (orphans
// are rescued by then), CHUNK <job> <chunk> as a chunk begins (with --announce-chunks), DRAINING when
// a stop begins, DONE when every job has completed (with --exit-when-done), and STOPPED with the
// stop report just before exiting 0. SIGTERM or SIGINT stops gracefully; a second one stops at once.
#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string_view>
#include <thread>

#include "jobrunner/chunked.h"
#include "jobrunner/runner.h"
#include "jobrunner/sqlite_engine.h"
#include "process/host/host_support.h"

namespace {

using namespace jobrunner;

constexpr const char* kUsage =
    "usage: crash_host --db=PATH [--run-id=N] [--enqueue] [--jobs=N] [--chunks=N] [--chunk-ms=MIN[:MAX]]\n"
    "                  [--grace-ms=N] [--exit-when-done] [--announce-chunks] [--log-level=LEVEL]\n";

struct Flags {
  std::string db;
  std::int64_t run_id = 0;      // recorded with every chunk row, to tell the runs apart
  bool enqueue = false;         // insert `jobs` new jobs before starting
  int jobs = 6;                 // also the queue's concurrency, so every job runs at once
  std::int64_t chunks = 20;     // chunks per enqueued job
  std::int64_t chunk_min = 30;  // each chunk works between chunk_min and chunk_max ms
  std::int64_t chunk_max = 30;
  std::int64_t grace_ms = 30'000;
  bool exit_when_done = false;
  bool announce_chunks = false;
  std::string log_level = "info";
};

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto [name, value] = host::split_flag(arg);
    if (name == "--db") {
      f.db = value;
    } else if (name == "--run-id") {
      f.run_id = host::flag_number(value, name);
    } else if (name == "--enqueue") {
      f.enqueue = true;
    } else if (name == "--jobs") {
      f.jobs = static_cast<int>(host::flag_number(value, name));
    } else if (name == "--chunks") {
      f.chunks = host::flag_number(value, name);
    } else if (name == "--chunk-ms") {
      auto colon = value.find(':');
      f.chunk_min = host::flag_number(value.substr(0, colon), name);
      f.chunk_max =
          colon == std::string_view::npos ? f.chunk_min : host::flag_number(value.substr(colon + 1), name);
    } else if (name == "--grace-ms") {
      f.grace_ms = host::flag_number(value, name);
    } else if (name == "--exit-when-done") {
      f.exit_when_done = true;
    } else if (name == "--announce-chunks") {
      f.announce_chunks = true;
    } else if (name == "--log-level") {
      f.log_level = value;
    } else {
      throw std::invalid_argument("unknown flag " + std::string(arg));
    }
  }
  if (f.db.empty()) throw std::invalid_argument("--db is required");
  if (f.jobs < 1 || f.chunk_max < f.chunk_min) throw std::invalid_argument("need --jobs >= 1 and MIN <= MAX");
  return f;
}

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// chunk_start rows, each committed at once on this connection, outside any checkpoint transaction.
class StartLog {
 public:
  explicit StartLog(const std::string& path) : db_(path, SQLite::OPEN_READWRITE) {
    db_.setBusyTimeout(10'000);
    db_.exec(
        "CREATE TABLE IF NOT EXISTS chunk_start (job_id INTEGER NOT NULL, chunk INTEGER NOT NULL,"
        " run_id INTEGER NOT NULL, started_us INTEGER NOT NULL)");
    db_.exec(
        "CREATE TABLE IF NOT EXISTS chunk_log (job_id INTEGER NOT NULL, chunk INTEGER NOT NULL,"
        " run_id INTEGER NOT NULL)");
  }

  void record(JobId job, std::int64_t chunk, std::int64_t run_id) {
    std::lock_guard lock(mu_);
    SQLite::Statement q(db_,
                        "INSERT INTO chunk_start (job_id, chunk, run_id, started_us) VALUES (?, ?, ?, ?)");
    q.bind(1, job);
    q.bind(2, chunk);
    q.bind(3, run_id);
    q.bind(4, now_us());
    q.exec();
  }

 private:
  std::mutex mu_;
  SQLite::Database db_;
};

class ChunkLogJob final : public ChunkedWorker {
 public:
  ChunkLogJob(const Flags& f, std::shared_ptr<StartLog> starts) : f_(f), starts_(std::move(starts)) {}

  WorkerOptions options() const override {
    WorkerOptions o;
    // Every rescue after a kill spends an attempt; the loops kill far more often than the default allows.
    o.max_attempts = 100'000;
    return o;
  }

 protected:
  std::int64_t chunk_count(JobContext& ctx) const override {
    return ctx.args().at("chunks").get<std::int64_t>();
  }

  bool run_chunk(Chunk& chunk) const override {
    const JobId job = chunk.ctx().job().id;
    const std::int64_t index = chunk.index();
    starts_->record(job, index, f_.run_id);
    if (f_.announce_chunks) host::say("CHUNK " + std::to_string(job) + " " + std::to_string(index));
    if (!chunk.ctx().work_for(length(job, index))) return false;
    chunk.on_commit([job, index, run_id = f_.run_id](Transaction& tx) {
      if (tx.sqlite() == nullptr) throw std::logic_error("ChunkLogJob needs the durable engine");
      SQLite::Statement q(*tx.sqlite(), "INSERT INTO chunk_log (job_id, chunk, run_id) VALUES (?, ?, ?)");
      q.bind(1, job);
      q.bind(2, index);
      q.bind(3, run_id);
      q.exec();
    });
    return true;
  }

  Outcome finish(JobContext&, const ChunkRun& run) const override {
    return Outcome::ok({{"chunks", run.total}});
  }

 private:
  // Varies with job, chunk and run, so kills land at different points of different chunks.
  Millis length(JobId job, std::int64_t index) const {
    std::int64_t span = f_.chunk_max - f_.chunk_min + 1;
    std::uint64_t mix = static_cast<std::uint64_t>(job * 7919 + index * 104'729 + f_.run_id * 1'299'709);
    return Millis(f_.chunk_min + static_cast<std::int64_t>(mix % static_cast<std::uint64_t>(span)));
  }

  const Flags& f_;
  std::shared_ptr<StartLog> starts_;
};

// What the main thread waits for: a stop signal, or (with --exit-when-done) every job completed.
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  int signals = 0;
  std::int64_t completed = 0;
};

// SIGINT and SIGTERM are blocked in every thread (the mask is set before any thread starts) and
// taken here with sigwait, so the runner is stopped from ordinary code. SIGUSR1 ends the thread.
void watch_signals(const sigset_t& set, Runner& runner, Waiter& w) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0 || sig == SIGUSR1) return;
    runner.request_stop();
    std::lock_guard lock(w.mu);
    ++w.signals;
    w.cv.notify_all();
  }
}

std::int64_t unfinished_jobs(Engine& engine) {
  auto counts = engine.job_count({});
  if (!counts.is_ok()) throw std::runtime_error("counting jobs: " + counts.status().to_string());
  std::int64_t n = 0;
  for (const StateCount& c : *counts) {
    if (!is_final(c.state)) n += c.count;
  }
  return n;
}

int run(const Flags& f) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  SqliteOptions db;
  db.path = f.db;
  db.migrate = true;
  auto engine = open_sqlite_engine(db);
  if (!engine.is_ok()) throw std::runtime_error("opening " + f.db + ": " + engine.status().to_string());
  auto starts = std::make_shared<StartLog>(f.db);
  auto registry = std::make_shared<WorkerRegistry>();
  registry->add("ChunkLogJob", std::make_shared<ChunkLogJob>(f, starts));

  RunnerOptions options;
  options.queues = {{"default", f.jobs}};
  options.shutdown_grace = Millis(f.grace_ms);
  options.logger = spdlog::stderr_color_mt("crash_host");
  options.logger->set_level(spdlog::level::from_str(f.log_level));
  options.logger->flush_on(spdlog::level::trace);
  Waiter w;  // before the runner, whose telemetry handler uses it until the runner is gone
  Runner runner(*engine, registry, options);

  if (f.enqueue) {
    std::vector<NewJob> jobs(static_cast<std::size_t>(f.jobs));
    for (NewJob& job : jobs) {
      job.worker = "ChunkLogJob";
      job.args = {{"chunks", f.chunks}};
    }
    if (auto r = runner.insert_many(std::move(jobs)); !r.is_ok()) {
      throw std::runtime_error("enqueueing: " + r.status().to_string());
    }
  }
  // Counted before the runner starts, so that no job can complete uncounted.
  const std::int64_t unfinished = unfinished_jobs(**engine);

  runner.telemetry().subscribe([&w](const Event& e) {
    if (e.kind == EventKind::runner_draining) host::say("DRAINING");
    if (e.kind == EventKind::job_stop && e.outcome == Outcome::Kind::ok && !e.stale) {
      std::lock_guard lock(w.mu);
      ++w.completed;
      w.cv.notify_all();
    }
  });
  if (Status s = runner.start(); !s.is_ok())
    throw std::runtime_error("starting the runner: " + s.to_string());
  std::thread watcher(watch_signals, std::cref(set), std::ref(runner), std::ref(w));
  host::say("READY");

  bool done = false;
  {
    std::unique_lock lock(w.mu);
    w.cv.wait(lock, [&] { return w.signals > 0 || (f.exit_when_done && w.completed >= unfinished); });
    done = w.signals == 0;
  }
  if (done) host::say("DONE");
  StopReport report = done ? runner.stop() : runner.wait();
  pthread_kill(watcher.native_handle(), SIGUSR1);
  watcher.join();
  host::say("STOPPED completed=" + std::to_string(report.completed) + " interrupted=" +
            std::to_string(report.interrupted) + " released=" + std::to_string(report.released) +
            " elapsed_ms=" + std::to_string(report.elapsed.count()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return jobrunner::host::host_main("crash_host", kUsage, argc, argv, parse_flags, run);
}
