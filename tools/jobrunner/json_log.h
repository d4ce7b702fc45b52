// JSON lines logs for `jobrunner run --log-format json`: one object per line with ts, level and msg,
// and job_id, worker, queue, attempt and chunk when the line is about a job.
//
// Which job a line is about comes from the runner's telemetry, not from parsing log text: the
// runner emits job_start on the thread that then runs the job, and everything that thread logs
// until job_stop (the worker's own lines, such as TestJob's "Processing chunk 3/6") belongs to that
// job. The runner's own line for an event is written before this context sees the event (its log
// handler subscribes first), and a release at the shutdown deadline is logged by the stopping
// thread; those lines name their job as "Job <id> (<worker>)", and the id is taken from that.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "jobrunner/telemetry.h"

namespace spdlog {
class logger;
}

namespace jobrunner::cli {

// What a log line carries about its job.
struct JobLogFields {
  JobId id = 0;
  std::string worker;
  std::string queue;
  int attempt = 0;
  // The chunk in flight (done + 1, at most total), once the job has reported progress.
  std::optional<std::int64_t> chunk;
};

// The jobs this process is running, kept up to date from telemetry. Thread-safe.
class JobLogContext {
 public:
  // A Telemetry handler: subscribe it to the runner before it starts.
  void on_event(const Event& e);
  // The job a line logged now, on this thread, with this text is about; none when it is about none.
  std::optional<JobLogFields> fields_for(std::string_view msg) const;

 private:
  mutable std::mutex mu_;
  std::map<JobId, JobLogFields> jobs_;
};

// A logger named "jobrunner" writing JSON lines to stdout, flushed after each line.
std::shared_ptr<spdlog::logger> make_json_logger(std::shared_ptr<const JobLogContext> jobs);

}  // namespace jobrunner::cli
