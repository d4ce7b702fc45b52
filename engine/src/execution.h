// Execution: one run of one job, the JobContext its worker sees, and the mapping from the
// worker's Outcome to the engine call that ends the run.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <stop_token>

#include "jobrunner/engine.h"
#include "jobrunner/telemetry.h"
#include "jobrunner/worker.h"

namespace jobrunner::detail {

class Execution final : public JobContext {
 public:
  Execution(Job job, Engine& engine, Clock& clock, Telemetry& telemetry, spdlog::logger& logger);

  // JobContext
  const Job& job() const override { return job_; }
  const json& checkpoint() const override { return checkpoint_; }
  Status save_checkpoint(json checkpoint, std::optional<Progress> progress,
                         std::function<void(Transaction&)> in_transaction) override;
  std::stop_token stop_token() const override { return stop_.get_token(); }
  StopReason stop_reason() const override { return reason_.load(); }
  bool sleep_for(Millis d) override;
  bool work_for(Millis d) override;
  spdlog::logger& logger() override { return logger_; }
  const Clock& clock() const override { return clock_; }

  // Asks the worker to stop. The first reason sticks, except that an abort (anything but shutdown)
  // replaces shutdown; any reason but shutdown also cuts work_for() short.
  void request_stop(StopReason reason);

  // Marks the lease as given up (at the shutdown deadline, or lost): nothing more is written for
  // this run, including its outcome. Returns false if it was already given up.
  bool give_up_lease();
  bool lease_given_up() const { return lease_given_up_.load(); }

  // The worker has returned and the end of the run is being written.
  void mark_finishing() { finishing_ = true; }
  bool finishing() const { return finishing_.load(); }

  LeaseToken token() const { return job_.lease ? job_.lease->token : 0; }
  Timestamp started_at() const { return started_at_; }
  // Zero when the worker has no timeout.
  Timestamp timeout_at() const { return timeout_at_.load(); }
  void set_timeout(Millis timeout);

 private:
  Job job_;
  json checkpoint_;
  Engine& engine_;
  Clock& clock_;
  Telemetry& telemetry_;
  spdlog::logger& logger_;
  std::stop_source stop_;
  std::stop_source abort_;
  std::atomic<StopReason> reason_{StopReason::none};
  std::atomic<bool> lease_given_up_{false};
  std::atomic<bool> finishing_{false};
  std::mutex stop_mu_;
  Timestamp started_at_;
  std::atomic<Timestamp> timeout_at_{0};  // set by the executor, read by the ticker
};

// The error message for a worker that threw something not derived from std::exception.
inline constexpr const char* kNonStdException = "the worker threw an exception that is not a std::exception";

// `outcome`, or an error that says why it cannot be recorded: a result that is not valid JSON text
// (a string with invalid UTF-8) would be stored altered by one engine and refused by another.
Outcome storable(Outcome outcome);

// The engine call that records `outcome`, given why (if at all) the run was asked to stop.
// A worker that returns interrupted after its timeout fired has failed its attempt.
JobFinishParams finish_params_for(const Execution& exec, const Outcome& outcome, const Worker* worker,
                                  Timestamp now);

}  // namespace jobrunner::detail
