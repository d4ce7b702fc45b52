// Telemetry: events the runner emits as jobs move. Logs and the metrics endpoint are built on
// these events; a program subscribes its own handlers the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "jobrunner/job.h"
#include "jobrunner/worker.h"

namespace jobrunner {

enum class EventKind {
  job_claimed,       // job: the claimed job; queue_time: scheduled_at to claim
  job_start,         // job: as claimed; queue_time: scheduled_at to start
  job_stop,          // outcome, duration: perform() returned
  job_exception,     // message, duration: perform() threw (recorded as an error)
  job_interrupted,   // duration: returned interrupted on a stop
  job_released,      // still running at the shutdown deadline: lease given up
  job_stale,         // message: a checkpoint on behalf of the job was rejected by its lease fence
  checkpoint_saved,  // job, progress
  jobs_rescued,      // count: orphans put back to available; discarded: orphans out of attempts
  jobs_staged,       // count
  jobs_pruned,       // count
  runner_started,
  runner_draining,   // count: jobs running when the stop began
  runner_stopped,
};

std::string_view to_string(EventKind k);

struct Event {
  explicit Event(EventKind k) : kind(k) {}

  EventKind kind;
  const Job* job = nullptr;  // for job_* and checkpoint_saved events
  std::optional<Outcome::Kind> outcome;
  std::optional<Progress> progress;
  StopReason stop_reason = StopReason::none;
  Millis duration{0};
  Millis queue_time{0};
  std::int64_t count = 0;
  std::int64_t discarded = 0;
  std::string message;
  // job_stop, job_interrupted: the outcome was not recorded, because the job had lost its lease or
  // the database refused the write until the runner gave the lease up.
  bool stale = false;
};

// A list of handlers. Handlers run on the thread that emits, so they must be quick and must not
// call back into the runner; several threads emit at once, so a handler may run on several
// threads at once and must guard what it shares. Once unsubscribe() returns, the handler is not
// running and is not called again.
class Telemetry {
 public:
  using Handler = std::function<void(const Event&)>;
  // Returns a handle for unsubscribe().
  int subscribe(Handler h);
  void unsubscribe(int handle);
  void emit(const Event& e) const;

 private:
  mutable std::shared_mutex mu_;  // emit shares it; subscribe and unsubscribe wait for emits
  int next_ = 1;
  std::vector<std::pair<int, Handler>> handlers_;
};

}  // namespace jobrunner
