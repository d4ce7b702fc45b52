#include "loop_support.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "jobrunner/sqlite_engine.h"

namespace jobrunner::testing {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::runtime_error os_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

std::int64_t system_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

Millis left_until(SteadyClock::time_point deadline) {
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(deadline - SteadyClock::now()));
}

}  // namespace

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() <= max_bytes ? text : text.substr(text.size() - max_bytes);
}

Child::Child(const std::vector<std::string>& argv, const std::string& stderr_path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw os_error("pipe2");
  int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err < 0) throw os_error("opening " + stderr_path);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw os_error("fork");
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    dup2(fds[1], STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  close(err);
  out_ = fds[0];
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) throw os_error("pidfd_open");
}

Child::~Child() {
  if (!status_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) close(out_);
  if (pidfd_ >= 0) close(pidfd_);
}

void Child::signal(int sig) {
  if (!status_) kill(pid_, sig);
}

bool Child::pump(Millis timeout) {
  if (status_) return false;
  pollfd fds[2] = {{pidfd_, POLLIN, 0}, {out_, POLLIN, 0}};
  int n = poll(fds, out_ >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (n < 0 && errno != EINTR) throw os_error("poll");
  if (n <= 0) return false;
  auto read_some = [this] {
    char buf[4096];
    ssize_t got = read(out_, buf, sizeof buf);
    if (got <= 0) {
      close(out_);
      out_ = -1;
      return;
    }
    partial_.append(buf, static_cast<std::size_t>(got));
    for (std::size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  };
  if (out_ >= 0 && fds[1].revents != 0) read_some();
  if (fds[0].revents != 0) {
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) throw os_error("waitpid");
    status_ = status;
    // The child is gone, so its end of the pipe is closed: reading to the end cannot block.
    while (out_ >= 0) read_some();
  }
  return true;
}

std::optional<std::string> Child::wait_for_line(std::string_view prefix, Millis timeout) {
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    for (; seen_ < lines_.size(); ++seen_) {
      if (lines_[seen_].starts_with(prefix)) return lines_[seen_++];
    }
    if (status_ || left_until(deadline).count() == 0) return std::nullopt;
    pump(left_until(deadline));
  }
}

std::optional<int> Child::wait_exit(Millis timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (!status_ && left_until(deadline).count() > 0) pump(left_until(deadline));
  if (!status_) pump(Millis(0));
  return status_;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

HostLoop::HostLoop(HostOptions o) : options(std::move(o)), db_path_(dir_.file("jobs.db")) {
  SqliteOptions db;
  db.path = db_path_;
  db.migrate = true;
  auto engine = open_sqlite_engine(db);
  REQUIRE(engine.is_ok());
  engine_ = *engine;
  db_ = std::make_unique<SQLite::Database>(db_path_, SQLite::OPEN_READWRITE);
  db_->setBusyTimeout(10'000);
}

HostLoop::~HostLoop() = default;

HostRun HostLoop::start() {
  auto counts = engine_->job_count({});
  REQUIRE(counts.is_ok());
  bool unfinished =
      std::any_of(counts->begin(), counts->end(), [](const StateCount& c) { return !is_final(c.state); });
  HostRun run;
  run.id = ++runs_;
  std::vector<std::string> argv = {CRASH_HOST_BIN,
                                   "--db=" + db_path_,
                                   "--run-id=" + std::to_string(run.id),
                                   "--jobs=" + std::to_string(options.jobs),
                                   "--chunks=" + std::to_string(options.chunks),
                                   "--chunk-ms=" + std::to_string(options.chunk_min.count()) + ":" +
                                       std::to_string(options.chunk_max.count()),
                                   "--grace-ms=" + std::to_string(options.grace.count())};
  if (!unfinished) {
    argv.push_back("--enqueue");
    ++rounds_;
  }
  if (options.exit_when_done) argv.push_back("--exit-when-done");
  if (options.announce_chunks) argv.push_back("--announce-chunks");
  auto began = SteadyClock::now();
  run.spawned_us = system_now_us();
  run.child = std::make_unique<Child>(argv, stderr_path());
  auto ready = run.child->wait_for_line("READY", Millis(30'000));
  INFO("crash_host run " << run.id << " stderr:\n" << tail_of_file(stderr_path()));
  REQUIRE(ready);
  run.to_ready = std::chrono::duration_cast<Millis>(SteadyClock::now() - began);
  return run;
}

void HostLoop::run_to_completion() {
  REQUIRE(options.exit_when_done);
  HostRun run = start();
  auto status = run.child->wait_exit(Millis(120'000));
  INFO("crash_host stderr:\n" << tail_of_file(stderr_path()));
  REQUIRE(status);
  REQUIRE(describe_status(*status) == "exited 0");
  CHECK(run.child->wait_for_line("DONE", Millis(0)));
}

std::string HostLoop::workload() const {
  return std::to_string(rounds_) + " rounds of " + std::to_string(options.jobs) + " jobs x " +
         std::to_string(options.chunks) + " chunks of " + std::to_string(options.chunk_min.count()) + "-" +
         std::to_string(options.chunk_max.count()) + " ms";
}

std::vector<JobSample> HostLoop::sample() {
  JobFilter all;
  all.limit = 1'000'000;
  auto jobs = engine_->job_list(all);
  REQUIRE(jobs.is_ok());
  std::map<JobId, std::int64_t> logged = committed();
  std::vector<JobSample> out;
  for (const Job& job : *jobs) {
    JobSample s;
    s.id = job.id;
    s.state = job.state;
    s.attempt = job.attempt;
    s.next_chunk = job.checkpoint.is_object() ? job.checkpoint.value("next_chunk", std::int64_t{0}) : 0;
    s.chunks = job.args.at("chunks").get<std::int64_t>();
    s.leased = job.lease.has_value();
    INFO("job " << job.id << " (" << to_string(job.state) << ")");
    CHECK(s.next_chunk == logged[job.id]);
    CHECK(s.next_chunk >= last_next_[job.id]);
    if (job.state == JobState::completed) CHECK(s.next_chunk == s.chunks);
    last_next_[job.id] = s.next_chunk;
    out.push_back(s);
  }
  return out;
}

std::int64_t HostLoop::count(const std::string& sql) {
  SQLite::Statement q(*db_, sql);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getInt64();
}

std::map<JobId, std::int64_t> HostLoop::per_job(const std::string& sql) {
  std::map<JobId, std::int64_t> out;
  SQLite::Statement q(*db_, sql);
  while (q.executeStep()) out[q.getColumn(0).getInt64()] = q.getColumn(1).getInt64();
  return out;
}

std::map<JobId, std::int64_t> HostLoop::committed() {
  return per_job("SELECT job_id, count(*) FROM chunk_log GROUP BY job_id");
}

std::map<JobId, std::int64_t> HostLoop::starts() {
  return per_job("SELECT job_id, count(*) FROM chunk_start GROUP BY job_id");
}

std::int64_t HostLoop::chunks_committed_twice() {
  return count("SELECT count(*) FROM (SELECT 1 FROM chunk_log GROUP BY job_id, chunk HAVING count(*) > 1)");
}

std::int64_t HostLoop::starts_not_committed(std::int64_t run) {
  return count("SELECT count(*) FROM chunk_start s WHERE s.run_id = " + std::to_string(run) +
               " AND NOT EXISTS (SELECT 1 FROM chunk_log l"
               " WHERE l.job_id = s.job_id AND l.chunk = s.chunk AND l.run_id = s.run_id)");
}

std::optional<std::int64_t> HostLoop::first_start_us(std::int64_t run, const std::set<JobId>& jobs) {
  std::string ids;
  for (JobId id : jobs) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  SQLite::Statement q(*db_, "SELECT min(started_us) FROM chunk_start WHERE run_id = " + std::to_string(run) +
                                " AND job_id IN (" + ids + ")");
  REQUIRE(q.executeStep());
  if (q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

std::string HostLoop::integrity_check() {
  SQLite::Statement q(*db_, "PRAGMA integrity_check");
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

int loop_iterations(int fallback) {
  const char* text = std::getenv("JOBRUNNER_CRASH_ITERATIONS");
  if (text == nullptr || *text == '\0') return fallback;
  int n = std::atoi(text);
  return n > 0 ? n : fallback;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double max_of(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace jobrunner::testing
