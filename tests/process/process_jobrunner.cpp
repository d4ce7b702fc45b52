#include "process/process_jobrunner.h"

#include <catch2/catch.hpp>
#include <thread>

#include "jobrunner/sqlite_engine.h"

namespace jobrunner::testing {

Completed jobrunner(std::vector<std::string> args,
                    const std::map<std::string, std::optional<std::string>>& env) {
  args.insert(args.begin(), JOBRUNNER_BIN);
  return run_process(std::move(args), env);
}

json jobrunner_json(std::vector<std::string> args) {
  Completed r = jobrunner(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.status.exited_with(0));
  return json::parse(r.out);
}

JobId enqueue_test_job(const std::string& db, const json& args) {
  json out = jobrunner_json({"enqueue", "TestJob", "--db", db, "--args", args.dump(), "--json"});
  return out.at("id").get<JobId>();
}

Daemon::Daemon(const std::string& db, std::vector<std::string> extra) {
  std::vector<std::string> argv{JOBRUNNER_BIN, "run", "--db", db};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Process>(std::move(argv));
  bool started = process_->wait_for_stdout("started", 10s);
  INFO("stdout: " << process_->out() << "\nstderr: " << process_->err());
  REQUIRE(started);
}

std::optional<ExitStatus> Daemon::stop(int sig, std::chrono::milliseconds timeout) {
  process_->signal(sig);
  return process_->wait_for_exit(timeout);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::shared_ptr<Engine> open_database(const std::string& db) {
  SqliteOptions options;
  options.path = db;
  auto engine = open_sqlite_engine(options);
  INFO(engine.status().to_string());
  REQUIRE(engine.is_ok());
  return *engine;
}

Job job_in(Engine& engine, JobId id) {
  auto job = engine.job_get(id);
  INFO(job.status().to_string());
  REQUIRE(job.is_ok());
  return *job;
}

}  // namespace jobrunner::testing
