#include "children.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

extern char** environ;

namespace jobrunner::bench {

namespace {

constexpr int kChunkMs = 100;

const char* synchronous_name(Synchronous s) { return s == Synchronous::full ? "full" : "normal"; }

// This binary started as a child, its stdout read through a pipe.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) fail("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0)
      fail("cannot start " + args[0]);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line the child prints, without its newline; empty at the end of its output.
  std::string line() {
    std::string text;
    for (int c = fgetc(out_); c != EOF && c != '\n'; c = fgetc(out_)) text.push_back(static_cast<char>(c));
    return text;
  }
  void signal(int sig) { kill(pid_, sig); }
  // Waits for the child to end; fails unless it exited 0.
  void wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("a child process failed");
  }

 private:
  pid_t pid_ = 0;
  FILE* out_ = nullptr;
};

std::vector<std::string> child_args(const Settings& s, const char* role, const std::filesystem::path& db,
                                    std::int64_t n) {
  return {s.self,
          kChildFlag,
          role,
          s.engine,
          db.string(),
          synchronous_name(s.synchronous),
          std::to_string(n),
          std::to_string(s.rate)};
}

// Runs `n` chunked jobs until SIGTERM, then stops the runner gracefully and prints its report.
int shutdown_child(const Settings& s, const std::filesystem::path& db, std::int64_t n) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, nullptr);  // before any thread starts, so that all inherit it
  auto engine = open_engine(s, db);
  insert_jobs(*engine, n, kChunks, [](std::int64_t) {
    return json{{"chunks", 10'000}, {"chunk_ms", kChunkMs}};
  });
  Settings run = s;
  run.concurrency = static_cast<int>(n);
  Runner runner(engine, bench_workers(), runner_options(run));
  std::atomic<std::int64_t> saved = 0;
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind == EventKind::checkpoint_saved) saved.fetch_add(1);
  });
  if (Status st = runner.start(); !st.is_ok()) fail("starting the runner: " + st.to_string());
  // Every job is past its first chunk: a stop now finds them all in the middle of one.
  while (saved.load() < n || runner.executing() < n) std::this_thread::sleep_for(Millis(1));
  std::cout << "ready" << std::endl;
  int sig = 0;
  sigwait(&term, &sig);
  runner.request_stop();
  StopReport report = runner.wait();
  std::cout << json{{"interrupted", report.interrupted},
                    {"completed", report.completed},
                    {"released", report.released}}
            << std::endl;
  return 0;
}

int insert_child(const Settings& s, const std::filesystem::path& db, std::int64_t n) {
  auto engine = open_engine(s, db);
  paced(n, s.rate, [&] {
    NewJob job;
    job.worker = kNoop;
    job.queue = "default";
    job.max_attempts = 20;
    job.args = {{"t", nanos_now()}};
    must(engine->job_insert(job, SystemClock().now()), "inserting a job");
  });
  return 0;
}

}  // namespace

Figures shutdown_once(const Settings& s) {
  TempDir dir;
  const std::int64_t n = s.jobs > 0 ? s.jobs : 10;
  Child child(child_args(s, "shutdown", dir.file("bench.db"), n));
  if (child.line() != "ready") fail("the shutdown child did not get its jobs running");
  // The jobs have just saved a checkpoint: the signal lands early in a chunk, near the worst case.
  std::this_thread::sleep_for(Millis(5));
  const double began = seconds_now();
  child.signal(SIGTERM);
  const json report = json::parse(child.line());
  child.wait();
  const double exit_ms = (seconds_now() - began) * 1000;
  if (report.at("interrupted") != n) fail("the shutdown child reported " + report.dump());
  return {
      {"exit_ms", exit_ms}, {"chunk_ms", kChunkMs}, {"jobs", n}, {"interrupted", report.at("interrupted")}};
}

void run_inserter(const Settings& s, const std::filesystem::path& db, std::int64_t n) {
  Child child(child_args(s, "insert", db, n));
  child.wait();
}

int child_main(int argc, char** argv) {
  if (argc != 6) fail("a child takes: role engine db synchronous n rate");
  Settings s;
  const std::string role = argv[0];
  s.engine = argv[1];
  const std::filesystem::path db = argv[2];
  s.synchronous = std::string(argv[3]) == "full" ? Synchronous::full : Synchronous::normal;
  const std::int64_t n = std::stoll(argv[4]);
  s.rate = std::stoi(argv[5]);
  if (role == "shutdown") return shutdown_child(s, db, n);
  if (role == "insert") return insert_child(s, db, n);
  fail("unknown child role " + role);
}

}  // namespace jobrunner::bench
