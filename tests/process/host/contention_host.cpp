// contention_host: one of several processes that insert and run jobs on one database at once, for
// the multi-process exactly-once test.
//
// A durable Runner (--concurrency executors) runs RecordJob, while --inserters threads insert
// RecordJobs through the same Runner for --seconds. Several hosts on one file claim each other's
// jobs. Inserters hold back while this process has more than --backlog jobs inserted and not yet
// executed, so inserts and executions go on together instead of inserts running far ahead.
//
// What the test counts, in --out: every execution appends the job's id to executed-NAME the moment
// perform() begins (one write() to an O_APPEND file, so a second execution of a job cannot go
// unseen), and every successful insert appends the ids it inserted to inserted-NAME. Each execution
// also writes a row to the table `effect` in its checkpoint's transaction; that row commits exactly
// once per job.
//
// stdout, one line per event: READY once the runner has started; INSERTED when the inserting time
// is over; STOPPED with the counts after a SIGTERM or SIGINT has stopped the runner (exit 0). Every
// error a caller sees is counted: failed inserts, failed checkpoints, outcomes other than ok, and
// every warning or error the runner logs (a failed claim, finish, heartbeat or lease renewal).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include "jobrunner/runner.h"
#include "jobrunner/sqlite_engine.h"
#include "process/host/host_support.h"

namespace {

using namespace jobrunner;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: contention_host --db=PATH --out=DIR --name=NAME [--concurrency=N] [--inserters=N]\n"
    "                       [--seconds=N] [--backlog=N] [--max-batch=N]\n";

struct Flags {
  std::string db;
  std::string out;             // directory of the executed-NAME and inserted-NAME files
  std::string name;            // this process's name in those files and in job results
  int concurrency = 8;         // the runner's executors
  int inserters = 8;           // inserting threads
  std::int64_t seconds = 3;    // how long the inserters insert
  std::int64_t backlog = 200;  // most jobs inserted here and not yet executed here
  int max_batch = 4;           // each insert takes 1..max_batch jobs
};

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto [name, value] = host::split_flag(arg);
    if (name == "--db") {
      f.db = value;
    } else if (name == "--out") {
      f.out = value;
    } else if (name == "--name") {
      f.name = value;
    } else if (name == "--concurrency") {
      f.concurrency = static_cast<int>(host::flag_number(value, name, 1));
    } else if (name == "--inserters") {
      f.inserters = static_cast<int>(host::flag_number(value, name, 1));
    } else if (name == "--seconds") {
      f.seconds = host::flag_number(value, name, 1);
    } else if (name == "--backlog") {
      f.backlog = host::flag_number(value, name, 1);
    } else if (name == "--max-batch") {
      f.max_batch = static_cast<int>(host::flag_number(value, name, 1));
    } else {
      throw std::invalid_argument("unknown flag " + std::string(arg));
    }
  }
  if (f.db.empty() || f.out.empty() || f.name.empty())
    throw std::invalid_argument("--db, --out and --name are required");
  return f;
}

// A file that whole lines are appended to, each with one write(), from any thread.
class AppendFile {
 public:
  explicit AppendFile(const std::string& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("opening " + path + ": " + std::strerror(errno));
  }
  ~AppendFile() { close(fd_); }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void append(const std::string& lines) {
    ssize_t n = write(fd_, lines.data(), lines.size());
    if (n != static_cast<ssize_t>(lines.size()))
      throw std::runtime_error(std::string("append: ") + std::strerror(errno));
  }

 private:
  int fd_;
};

// The counts the STOPPED line reports.
struct Counts {
  std::atomic<std::int64_t> inserted{0};
  std::atomic<std::int64_t> executions{0};
  std::atomic<std::int64_t> completed{0};
  std::atomic<std::int64_t> insert_errors{0};
  std::atomic<std::int64_t> checkpoint_errors{0};
  std::atomic<std::int64_t> other_outcomes{0};  // anything but ok, and stale finishes
  std::atomic<std::int64_t> logged_errors{0};   // warnings and errors the runner logged

  // Inserters wait on this while their backlog is full; executions wake them.
  std::mutex mu;
  std::condition_variable executed;
};

// Counts what the runner logs at warn or above; the messages themselves go on to stderr as well.
class CountingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CountingSink(Counts& counts) : counts_(counts) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::warn) ++counts_.logged_errors;
  }
  void flush_() override {}

 private:
  Counts& counts_;
};

class RecordJob final : public Worker {
 public:
  RecordJob(const Flags& f, Counts& counts)
      : name_(f.name), counts_(counts), executed_(f.out + "/executed-" + f.name) {}

  Outcome perform(JobContext& ctx) const override {
    const JobId id = ctx.job().id;
    executed_.append(std::to_string(id) + "\n");
    {
      std::lock_guard lock(counts_.mu);
      ++counts_.executions;
    }
    counts_.executed.notify_all();
    Status s = ctx.save_checkpoint({{"recorded", true}}, Progress{1, 1}, [this, id](Transaction& tx) {
      if (tx.sqlite() == nullptr) throw std::logic_error("RecordJob needs the durable engine");
      SQLite::Statement q(*tx.sqlite(), "INSERT INTO effect (job_id, process) VALUES (?, ?)");
      q.bind(1, id);
      q.bind(2, name_);
      q.exec();
    });
    if (!s.is_ok()) {
      ++counts_.checkpoint_errors;
      ctx.logger().error("checkpoint of job {} failed: {}", id, s.to_string());
      return Outcome::error(s.to_string());
    }
    return Outcome::ok({{"process", name_}});
  }

 private:
  std::string name_;
  Counts& counts_;
  mutable AppendFile executed_;
};

// Inserts batches of 1..max_batch jobs until `end`, holding back while the backlog is full.
void insert_until(Runner& runner, const Flags& f, Counts& counts, AppendFile& inserted,
                  SteadyClock::time_point end, const std::atomic<bool>& stopping) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> batch(1, f.max_batch);
  while (!stopping && SteadyClock::now() < end) {
    {
      std::unique_lock lock(counts.mu);
      bool room = counts.executed.wait_until(
          lock, end, [&] { return stopping || counts.inserted - counts.executions < f.backlog; });
      if (!room || stopping) return;
    }
    std::vector<NewJob> jobs(static_cast<std::size_t>(batch(rng)));
    for (NewJob& job : jobs) {
      job.worker = "RecordJob";
      job.args = {{"from", f.name}};
    }
    auto r = runner.insert_many(std::move(jobs));
    if (!r.is_ok()) {
      ++counts.insert_errors;
      std::cerr << "contention_host: insert failed: " << r.status().to_string() << std::endl;
      continue;
    }
    std::string ids;
    for (const InsertResult& one : *r) ids += std::to_string(one.job.id) + "\n";
    inserted.append(ids);
    counts.inserted += static_cast<std::int64_t>(r->size());
  }
}

struct StopWait {
  std::mutex mu;
  std::condition_variable cv;
  bool requested = false;
};

// SIGINT and SIGTERM are blocked in every thread and taken here; SIGUSR1 ends the thread.
void watch_signals(const sigset_t& set, Runner& runner, StopWait& w, std::atomic<bool>& stopping) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0 || sig == SIGUSR1) return;
    stopping = true;
    runner.request_stop();
    std::lock_guard lock(w.mu);
    w.requested = true;
    w.cv.notify_all();
  }
}

int run(const Flags& f) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  SqliteOptions db;
  db.path = f.db;
  auto engine = open_sqlite_engine(db);
  if (!engine.is_ok()) throw std::runtime_error("opening " + f.db + ": " + engine.status().to_string());
  {
    SQLite::Database effects(f.db, SQLite::OPEN_READWRITE, 10'000);
    effects.exec("CREATE TABLE IF NOT EXISTS effect (job_id INTEGER NOT NULL, process TEXT NOT NULL)");
  }

  Counts counts;
  auto registry = std::make_shared<WorkerRegistry>();
  registry->add("RecordJob", std::make_shared<RecordJob>(f, counts));
  auto stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  stderr_sink->set_level(spdlog::level::warn);
  auto logger = std::make_shared<spdlog::logger>(
      "contention_host", spdlog::sinks_init_list{stderr_sink, std::make_shared<CountingSink>(counts)});
  logger->set_level(spdlog::level::warn);

  RunnerOptions options;
  options.queues = {{"default", f.concurrency}};
  options.logger = logger;
  Runner runner(*engine, registry, options);
  runner.telemetry().subscribe([&counts](const Event& e) {
    if (e.kind != EventKind::job_stop && e.kind != EventKind::job_interrupted) return;
    if (e.kind == EventKind::job_stop && e.outcome == Outcome::Kind::ok && !e.stale) {
      ++counts.completed;
    } else {
      ++counts.other_outcomes;
    }
  });
  if (Status s = runner.start(); !s.is_ok())
    throw std::runtime_error("starting the runner: " + s.to_string());
  std::atomic<bool> stopping = false;
  StopWait stop;
  std::thread watcher(watch_signals, std::cref(set), std::ref(runner), std::ref(stop), std::ref(stopping));
  host::say("READY");

  AppendFile inserted(f.out + "/inserted-" + f.name);
  const auto began = SteadyClock::now();
  const auto end = began + std::chrono::seconds(f.seconds);
  {
    std::vector<std::jthread> inserters;
    for (int i = 0; i < f.inserters; ++i) {
      inserters.emplace_back([&] { insert_until(runner, f, counts, inserted, end, stopping); });
    }
  }
  const auto insert_ms = std::chrono::duration_cast<Millis>(SteadyClock::now() - began).count();
  host::say("INSERTED jobs=" + std::to_string(counts.inserted) +
            " insert_errors=" + std::to_string(counts.insert_errors) + " ms=" + std::to_string(insert_ms));

  {
    std::unique_lock lock(stop.mu);
    stop.cv.wait(lock, [&] { return stop.requested; });
  }
  StopReport report = runner.wait();
  pthread_kill(watcher.native_handle(), SIGUSR1);
  watcher.join();
  host::say("STOPPED inserted=" + std::to_string(counts.inserted) + " executions=" +
            std::to_string(counts.executions) + " completed=" + std::to_string(counts.completed) +
            " insert_errors=" + std::to_string(counts.insert_errors) +
            " checkpoint_errors=" + std::to_string(counts.checkpoint_errors) + " other_outcomes=" +
            std::to_string(counts.other_outcomes) + " logged_errors=" + std::to_string(counts.logged_errors) +
            " released=" + std::to_string(report.released));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return jobrunner::host::host_main("contention_host", kUsage, argc, argv, parse_flags, run);
}
