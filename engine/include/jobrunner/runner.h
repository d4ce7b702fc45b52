// Runner: owns the queues, executes jobs with registered workers, and runs the maintenance
// services (stager, rescuer, pruner, lease keeper) over one Engine.
//
// Graceful stop, the same with either engine: every queue stops claiming at once; every running
// job's stop token fires with reason shutdown; jobs finish their current chunk, save and return
// interrupted (back to available, attempt not spent). At the single deadline, jobs still running
// lose their lease and go back to available with their last checkpoint; their late writes are
// rejected by the fence.
//
// When the database refuses writes for a while (another process holds its write lock past
// busy_timeout, the disk is full, an I/O error), the runner's own work waits it out: claims are
// tried again, checkpoints wait for the lock, and a job's outcome is tried again for as long as the
// runner holds the job's lease, so nothing a worker returned is lost or recorded twice. Calls made
// by the program (insert, cancel, pause, resume, start) return the engine's error instead: busy
// after busy_timeout, disk_full, io_error.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobrunner/engine.h"
#include "jobrunner/telemetry.h"
#include "jobrunner/worker.h"

namespace spdlog {
class logger;
}

namespace jobrunner {

struct QueueConfig {
  std::string name;
  int concurrency = 10;  // most jobs of this queue executing at once in this runner
};

struct RunnerOptions {
  std::vector<QueueConfig> queues{{"default", 10}};
  // How long stop() waits for running jobs before releasing them.
  Millis shutdown_grace{25'000};
  // A claimed job's lease; renewed every lease_duration / 3 while the job runs.
  Millis lease_duration{30'000};
  // How often (real time) to look for work written by other processes (PRAGMA data_version).
  Millis poll_interval{10};
  // How often to make scheduled and retryable jobs available, and rescue orphans.
  Millis stage_interval{1'000};
  Millis rescue_interval{10'000};
  // Final jobs older than this are deleted every prune_interval; zero disables pruning.
  Millis prune_age{7LL * 24 * 3600 * 1000};
  Millis prune_interval{60'000};
  // The instance id that owns leases; empty: a random one.
  std::string instance_id;
  // Null: the system clock.
  std::shared_ptr<Clock> clock;
  // Null: spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;
};

struct StopReport {
  int completed = 0;    // executions that ended (any outcome but interrupted) during the stop
  int interrupted = 0;  // returned interrupted: back to available with their checkpoint
  int released = 0;     // still running at the deadline: lease given up
  Millis elapsed{0};
};

class Runner {
 public:
  // REQUIRES: every queue name valid, concurrency >= 1, intervals > 0.
  Runner(std::shared_ptr<Engine> engine, std::shared_ptr<const WorkerRegistry> workers, RunnerOptions options = {});
  // Stops at once (zero grace) if still running, and waits for the worker threads.
  ~Runner();

  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Registers this instance, rescues jobs orphaned by runners that are gone, and starts claiming.
  // Returns invalid_argument for bad options, or the engine's error.
  Status start();

  // Graceful stop (see above). grace: none means options.shutdown_grace; zero releases running jobs
  // at once. Blocks until every job has returned or been released. Safe to call once started;
  // a second call (or request_stop twice) while the first waits shortens the wait to zero.
  StopReport stop(std::optional<Millis> grace = std::nullopt);

  // Asks for a graceful stop without waiting (from a signal-watching thread); a second call skips
  // the grace. wait() then returns the report.
  void request_stop();
  // Blocks until a stop requested by request_stop() has finished.
  StopReport wait();

  bool running() const;
  bool draining() const;

  // Inserts with the worker's defaults and wakes this runner's producer for the queue at once.
  Result<InsertResult> insert(NewJob job);
  Result<std::vector<InsertResult>> insert_many(std::vector<NewJob> jobs);
  // Cancels a job; a job running here is stopped through its stop token with reason cancel.
  Result<Job> cancel(JobId id);
  Status pause(const std::string& queue);
  Status resume(const std::string& queue);

  // Jobs executing in this runner now.
  int executing() const;

  Engine& engine();
  const WorkerRegistry& workers() const;
  Telemetry& telemetry();
  const std::string& instance_id() const;
  Clock& clock();

  // Maintenance passes, run by the runner's own loops; public so tests drive them directly.
  Result<std::int64_t> stage_once();
  Result<RescueCounts> rescue_once();
  Result<std::int64_t> prune_once();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobrunner
