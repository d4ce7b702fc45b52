// Runner test support: a scripted worker, a recorder of telemetry events that tests wait on (with a
// real-time limit, never a sleep), and a harness that runs a Runner over one engine fixture.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "jobrunner/runner.h"
#include "support/engines.h"

namespace jobrunner::testing {

// What scripted workers share with the test: who ran, how many at once, and a gate that holds
// "wait_gate" jobs until the test opens it.
class Probe {
 public:
  void started(JobId id);
  void finished(JobId id);
  int max_concurrent() const;
  // Blocks (in real time, at most `limit`) until n workers are inside perform() at once.
  bool wait_running(int n, Millis limit = Millis(20'000)) const;
  int starts(JobId id) const;
  std::vector<JobId> start_order() const;
  void open_gate();
  // What a job's last checkpoint save was told (ignore_stop, bad_checkpoint).
  void saved(JobId id, const Status& s);
  std::optional<Status> last_save(JobId id) const;
  // Blocks until the gate opens; returns false if `stop` fired first (when honour_stop).
  bool wait_gate(std::stop_token stop, bool honour_stop);

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  int running_ = 0;
  int max_running_ = 0;
  bool gate_open_ = false;
  std::map<JobId, int> starts_;
  std::map<JobId, Status> saves_;
  std::vector<JobId> order_;
};

// Worker "scripted": args {"do": ok | error | throw | throw_other | bad_result | bad_checkpoint | discard |
// cancel | snooze | wait_stop | wait_gate | ignore_stop, "result": any, "message": text, "snooze_ms": n}.
//   throw_other: throws an int, not a std::exception.
//   bad_result: returns ok with a result holding a string that is not valid UTF-8.
//   bad_checkpoint: saves a checkpoint holding such a string (what it was told goes to Probe::saved),
//                   then returns ok.
//   wait_stop: blocks until its stop token fires, then returns interrupted.
//   wait_gate: blocks until Probe::open_gate() or a stop (then interrupted).
//   ignore_stop: blocks until the gate opens whatever its stop token says, then saves a checkpoint
//                (what it was told goes to Probe::saved) and returns ok.
class ScriptedWorker final : public Worker {
 public:
  ScriptedWorker(std::shared_ptr<Probe> probe, WorkerOptions options, Millis backoff)
      : probe_(std::move(probe)), options_(std::move(options)), backoff_(backoff) {}
  WorkerOptions options() const override { return options_; }
  Outcome perform(JobContext& ctx) const override;
  Millis backoff(int) const override { return backoff_; }

 private:
  std::shared_ptr<Probe> probe_;
  WorkerOptions options_;
  Millis backoff_;
};

// Telemetry events as plain records, and a wait for the one a test expects.
class EventLog {
 public:
  struct Record {
    EventKind kind;
    JobId job_id = 0;
    std::optional<Outcome::Kind> outcome;
    StopReason stop_reason = StopReason::none;
    std::string message;
    bool stale = false;
  };

  void record(const Event& e);
  // Waits (at most `limit` of real time) until `n` events of `kind` (for `job`, when not 0) exist.
  bool wait_for(EventKind kind, int n = 1, JobId job = 0, Millis limit = Millis(20'000)) const;
  int count(EventKind kind, JobId job = 0) const;
  // Waits until `n` executions of job `id` have ended (job_stop or job_interrupted).
  bool wait_ended(JobId id, int n = 1, Millis limit = Millis(20'000)) const;
  // The last record of an execution of job `id` ending (job_stop or job_interrupted), if any.
  std::optional<Record> last_end(JobId id) const;
  std::vector<Record> records() const;

 private:
  int count_locked(EventKind kind, JobId job) const;
  int ended_locked(JobId job) const;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Record> records_;
};

inline constexpr const char* kScripted = "scripted";

// A Runner over an engine fixture, with the scripted worker and TestJob registered, a fake clock and
// an event log. make_runner() builds a new Runner over the same engine, as a restart would.
template <class EngineFixture>
struct RunnerHarness {
  explicit RunnerHarness(int concurrency = 10, WorkerOptions scripted = {}, Millis backoff = Millis(10'000));

  std::unique_ptr<Runner> make_runner(int concurrency = 10);
  // Runners log to `logger` from now on; the runner not yet started is made again to use it.
  void use_logger(std::shared_ptr<spdlog::logger> logger);
  Runner& runner() { return *runner_; }
  // Starts a fresh runner (the previous one must be stopped).
  void restart();
  // Inserts a scripted job with these args.
  Job insert(json args, std::function<void(NewJob&)> tweak = {});
  Job get(JobId id) { return get_job(*f.engine, id); }
  // Waits until job `id` has stopped n times (any outcome).
  bool wait_stopped(JobId id, int n = 1);
  // Inserts a scripted job with these args, waits until its first run has ended (failing the test
  // case if it does not) and returns the job as stored then.
  Job run_once(json args);

  EngineFixture f;
  std::shared_ptr<Probe> probe = std::make_shared<Probe>();
  std::shared_ptr<WorkerRegistry> workers = std::make_shared<WorkerRegistry>();
  std::shared_ptr<EventLog> events = std::make_shared<EventLog>();
  int concurrency;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
  std::unique_ptr<Runner> runner_;
};

// Lets a running TestJob's current chunk (`chunk` long on the fake clock) finish, and waits for the
// checkpoint after it: the (checkpoints_so_far + 1)th the harness has seen.
template <class H>
void finish_test_job_chunk(H& h, Millis chunk, int checkpoints_so_far) {
  REQUIRE(h.f.clock->wait_for_sleepers(1));
  h.f.clock->advance(chunk);
  REQUIRE(h.events->wait_for(EventKind::checkpoint_saved, checkpoints_so_far + 1));
}

// The chunk numbers listed in a TestJob's result, in order.
std::vector<std::int64_t> test_job_chunk_numbers(const json& result);

extern template struct RunnerHarness<LiteEngineFixture>;
extern template struct RunnerHarness<DurableEngineFixture>;

}  // namespace jobrunner::testing
