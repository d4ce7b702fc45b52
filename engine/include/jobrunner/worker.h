// Worker: the code a job runs, the context it runs in, and what it returns.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "jobrunner/engine.h"
#include "jobrunner/job.h"

namespace spdlog {
class logger;
}

namespace jobrunner {

// Why a running job was asked to stop.
enum class StopReason {
  none,
  shutdown,    // the runner is stopping: finish the current chunk, save, return interrupted
  timeout,     // the worker's timeout passed: the attempt becomes an error
  cancel,      // the job was cancelled
  lease_lost,  // the job's lease was taken away (shutdown deadline, rescue): nothing more is saved
};

std::string_view to_string(StopReason r);

// How one execution ended. Each kind maps to exactly one engine call.
class Outcome {
 public:
  enum class Kind { ok, error, discard, cancel, snooze, interrupted };

  static Outcome ok(json result = nullptr) { return Outcome(Kind::ok, std::move(result), {}, Millis(0)); }
  // Retry after the worker's backoff, or discard when attempts are spent.
  static Outcome error(std::string message) { return Outcome(Kind::error, nullptr, std::move(message), Millis(0)); }
  static Outcome discard(std::string reason) { return Outcome(Kind::discard, nullptr, std::move(reason), Millis(0)); }
  static Outcome cancel(std::string reason) { return Outcome(Kind::cancel, nullptr, std::move(reason), Millis(0)); }
  // Run again after `delay`, without spending the attempt.
  static Outcome snooze(Millis delay) { return Outcome(Kind::snooze, nullptr, {}, delay); }
  // Stopped before finishing; back to available with the last checkpoint, attempt not spent.
  static Outcome interrupted() { return Outcome(Kind::interrupted, nullptr, {}, Millis(0)); }

  Kind kind() const { return kind_; }
  const json& result() const { return result_; }
  const std::string& message() const { return message_; }
  Millis snooze_for() const { return snooze_; }

 private:
  Outcome(Kind k, json r, std::string m, Millis s)
      : kind_(k), result_(std::move(r)), message_(std::move(m)), snooze_(s) {}
  Kind kind_;
  json result_;
  std::string message_;
  Millis snooze_;
};

std::string_view to_string(Outcome::Kind k);

// What a worker sees of its job while it runs. Owned by the runner; valid during perform().
class JobContext {
 public:
  virtual ~JobContext() = default;

  virtual const Job& job() const = 0;
  const json& args() const { return job().args; }
  int attempt() const { return job().attempt; }
  // The last saved checkpoint; null on a job's first run.
  virtual const json& checkpoint() const = 0;

  // Saves checkpoint and progress in one transaction, with in_transaction's writes when given
  // (durable: on the same SQLite connection, committed together). Returns stale_lease when the
  // job has lost its lease: the worker should stop; nothing was saved. Another process holding the
  // database's write lock is waited out (in_transaction may then run more than once, each time in
  // a transaction that was rolled back); any other failure (disk_full, io_error, invalid_argument
  // for a checkpoint that is not valid JSON text) is returned at once, with the last checkpoint kept.
  virtual Status save_checkpoint(json checkpoint, std::optional<Progress> progress = std::nullopt,
                                 std::function<void(Transaction&)> in_transaction = {}) = 0;

  // Fires when the job must stop; stop_reason() says why.
  virtual std::stop_token stop_token() const = 0;
  virtual StopReason stop_reason() const = 0;
  bool stop_requested() const { return stop_token().stop_requested(); }
  // A stop that does not wait for the current chunk: anything but shutdown.
  bool abort_requested() const { return stop_requested() && stop_reason() != StopReason::shutdown; }

  // Sleeps on the runner's clock. Returns false when a stop cut it short.
  virtual bool sleep_for(Millis d) = 0;
  // Like sleep_for, but only an abort cuts it short: a chunk of work in progress that a graceful
  // shutdown lets finish. Returns false when aborted.
  virtual bool work_for(Millis d) = 0;

  virtual spdlog::logger& logger() = 0;
  virtual const Clock& clock() const = 0;
};

struct WorkerOptions {
  std::string queue = "default";
  int priority = 0;
  int max_attempts = 20;
  // Zero: no timeout. When it passes, the stop token fires with reason timeout and the attempt is
  // recorded as an error at once, whether or not the worker returns; what the worker writes after
  // that (a checkpoint, its outcome) is rejected as stale.
  Millis timeout{0};
  // When set, inserts of this worker are unique by these options unless the insert says otherwise.
  std::optional<UniqueOptions> unique;
};

// The delay before the next attempt after `attempt` failed: 15 s + 2^attempt s, capped at a day,
// with +-10% jitter so failing jobs do not retry in lockstep.
Millis default_backoff(int attempt);

class Worker {
 public:
  virtual ~Worker() = default;

  virtual WorkerOptions options() const { return {}; }

  // Runs one attempt. May be called on many threads at once. An exception that escapes is an
  // error outcome with its message.
  virtual Outcome perform(JobContext& ctx) const = 0;

  virtual Millis backoff(int attempt) const { return default_backoff(attempt); }
};

// Workers by name. Filled before a Runner starts; read-only afterwards.
class WorkerRegistry {
 public:
  // REQUIRES: name not yet registered.
  void add(std::string name, std::shared_ptr<const Worker> worker);
  // Null when no worker has that name.
  const Worker* find(const std::string& name) const;
  std::vector<std::string> names() const;

  // Fills queue, priority and max_attempts (and unique) from the worker's options where `job`
  // leaves them unset. An unknown worker keeps the engine defaults ("default", 0, 20).
  NewJob with_defaults(NewJob job) const;

 private:
  std::map<std::string, std::shared_ptr<const Worker>> workers_;
};

}  // namespace jobrunner
