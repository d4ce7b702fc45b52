// The jobrunner binary in tests: one-shot commands, a daemon to start and stop with real signals,
// and reads of the database it works on, polled with a deadline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jobrunner/engine.h"
#include "process/process_util.h"

namespace jobrunner::testing {

// Runs `jobrunner args...` to its end.
Completed jobrunner(std::vector<std::string> args,
                    const std::map<std::string, std::optional<std::string>>& env = {});

// Runs `jobrunner args...`, which must exit 0, and parses its stdout as JSON.
json jobrunner_json(std::vector<std::string> args);

// Enqueues a TestJob with these args on db; returns its id.
JobId enqueue_test_job(const std::string& db, const json& args);

// `jobrunner run --db db extra...`, started and running: its runner has logged that it started.
class Daemon {
 public:
  Daemon(const std::string& db, std::vector<std::string> extra = {});

  Process& process() { return *process_; }
  // Sends sig and waits for the exit. Returns none when it still runs at the deadline.
  std::optional<ExitStatus> stop(int sig, std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<Process> process_;
};

// Polls pred every 10 ms until it holds or the timeout passes. Returns whether it held.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// A durable engine on the database a daemon uses, for reading jobs as they change.
std::shared_ptr<Engine> open_database(const std::string& db);

// The job, which must exist.
Job job_in(Engine& engine, JobId id);

}  // namespace jobrunner::testing
