// Testing: helpers for the tests of programs that use jobrunner, in the spirit of Oban.Testing.
//
// perform_job runs one worker inline, on the calling thread, over a private lite engine: the same
// execution a Runner gives a job (a lease, checkpoints fenced by it, the outcome recorded by the one
// engine call it maps to), without queues or threads. drain_queue runs the available jobs of a
// queue the same way, one after another. enqueued lists the jobs a program has inserted.
//
// Every helper throws std::runtime_error when an engine call fails: a test wants to stop there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobrunner/clock.h"
#include "jobrunner/engine.h"
#include "jobrunner/job.h"
#include "jobrunner/worker.h"

namespace spdlog {
class logger;
}

namespace jobrunner::testing {

struct PerformOptions {
  // The checkpoint the job resumes from, as an earlier run saved it (Performed::job.checkpoint).
  // Null: a first run.
  json checkpoint;
  // Zero: the worker's own max_attempts. With 1, an error outcome discards the job.
  int max_attempts = 0;
  // The job's worker name (Job::worker).
  std::string worker_name = "inline";
  // Asks the worker to stop once it has saved this many checkpoints (0: before it starts), as the
  // runner would: with reason shutdown (a graceful stop, the job goes back to available) or
  // timeout (the attempt becomes an error). None: the job runs to its end.
  std::optional<int> stop_after_checkpoints;
  StopReason stop_reason = StopReason::shutdown;
  // Null: the system clock. A worker's sleep_for and work_for wait on this clock.
  std::shared_ptr<Clock> clock;
  // Null: a logger that writes nothing.
  std::shared_ptr<spdlog::logger> logger;
};

// One inline execution.
struct Performed {
  Outcome outcome;  // what perform() returned; an exception that escaped is an error with its message
  Job job;          // the job once its outcome is recorded: state, result, errors, checkpoint, progress
  std::vector<json> checkpoints;  // every checkpoint the worker saved, in order
};

// Runs `worker` once on a job with these args, and records its outcome.
// REQUIRES: options.stop_reason is shutdown or timeout (std::invalid_argument otherwise).
Performed perform_job(const Worker& worker, json args, PerformOptions options = {});

template <class W>
Performed perform_job(json args, PerformOptions options = {}) {
  return perform_job(W{}, std::move(args), std::move(options));
}

// Executions by their worker's outcome.
struct DrainCounts {
  int ok = 0;
  int error = 0;  // including unknown workers; the job is retryable, or discarded when out of attempts
  int discard = 0;
  int cancel = 0;
  int snooze = 0;
  int interrupted = 0;

  int total() const { return ok + error + discard + cancel + snooze + interrupted; }
};

struct DrainOptions {
  // Null: the system clock.
  std::shared_ptr<Clock> clock;
  // Null: a logger that writes nothing.
  std::shared_ptr<spdlog::logger> logger;
};

// Runs the available jobs of `queue` on the calling thread, in claim order, with the workers of
// `workers`, until none is left; jobs they insert into the queue run too. Jobs that error or snooze
// wait for their time and do not run again; a job that returns interrupted runs once.
// REQUIRES: no Runner is claiming from `queue` of `engine`.
DrainCounts drain_queue(Engine& engine, const WorkerRegistry& workers, const std::string& queue,
                        DrainOptions options = {});

// The jobs of `worker` waiting to run (available or scheduled), oldest first, whose args contain
// `args`: each key of `args` is in the job's args with an equal value; objects nested in `args`
// are matched the same way.
std::vector<Job> enqueued(Engine& engine, const std::string& worker, const json& args = json::object());

}  // namespace jobrunner::testing
