#include "execution.h"

#include <spdlog/spdlog.h>

#include <thread>

namespace jobrunner::detail {

namespace {

// Why `value` cannot be written as JSON text; empty when it can. Only a string that is not UTF-8
// stops it, so dump() (and its message) is reached only then.
std::string unwritable(const json& value) {
  if (all_utf8(value)) return {};
  try {
    (void)value.dump();
    return "a string holds bytes that are not UTF-8";
  } catch (const json::exception& e) {
    return e.what();
  }
}

}  // namespace

Execution::Execution(Job job, Engine& engine, Clock& clock, Telemetry& telemetry, spdlog::logger& logger)
    : job_(std::move(job)),
      checkpoint_(job_.checkpoint),
      engine_(engine),
      clock_(clock),
      telemetry_(telemetry),
      logger_(logger),
      started_at_(clock.now()) {}

void Execution::set_timeout(Millis timeout) {
  timeout_at_ = timeout.count() > 0 ? started_at_ + timeout.count() : 0;
}

Status Execution::save_checkpoint(json checkpoint, std::optional<Progress> progress,
                                  std::function<void(Transaction&)> in_transaction) {
  if (std::string why = unwritable(checkpoint); !why.empty()) {
    return Status::invalid("checkpoint of job " + std::to_string(job_.id) +
                           " not saved: it cannot be stored as JSON: " + why);
  }
  JobCheckpointParams p;
  p.id = job_.id;
  p.token = token();
  p.now = clock_.now();
  p.checkpoint = checkpoint;
  p.progress = progress;
  p.in_transaction = std::move(in_transaction);
  Status s = engine_.job_checkpoint(p);
  // Another process held the write lock past busy_timeout. The transaction never began, so trying
  // again repeats nothing; the job waits for as long as it may still save (until its lease is given
  // up or the runner aborts it).
  for (int waits = 1; s.code() == StatusCode::busy && !lease_given_up() && !abort_.stop_requested();
       ++waits) {
    if (waits == 1 || waits % 10 == 0) {
      logger_.warn("Job {} ({}): saving its checkpoint waits for the database lock, try {}: {}", job_.id,
                   job_.worker, waits, s.message());
    }
    // busy_timeout may be zero; the pause keeps this from spinning.
    std::this_thread::sleep_for(Millis(10));
    s = engine_.job_checkpoint(p);
  }
  if (s.is_ok()) {
    checkpoint_ = std::move(checkpoint);
    job_.checkpoint = checkpoint_;
    job_.progress = progress;
    Event e{EventKind::checkpoint_saved};
    e.job = &job_;
    e.progress = progress;
    telemetry_.emit(e);
  } else if (s.code() == StatusCode::stale_lease) {
    Event e{EventKind::job_stale};
    e.job = &job_;
    e.message = "checkpoint rejected: " + s.message();
    telemetry_.emit(e);
    give_up_lease();
    request_stop(StopReason::lease_lost);
  }
  return s;
}

bool Execution::sleep_for(Millis d) { return clock_.sleep_for(d, stop_.get_token()); }

bool Execution::work_for(Millis d) { return clock_.sleep_for(d, abort_.get_token()); }

void Execution::request_stop(StopReason reason) {
  std::lock_guard lock(stop_mu_);
  StopReason current = reason_.load();
  if (current == StopReason::none || (current == StopReason::shutdown && reason != StopReason::shutdown)) {
    reason_.store(reason);
  }
  stop_.request_stop();
  if (reason != StopReason::shutdown) abort_.request_stop();
}

bool Execution::give_up_lease() { return !lease_given_up_.exchange(true); }

Outcome storable(Outcome outcome) {
  if (outcome.kind() != Outcome::Kind::ok) return outcome;
  if (std::string why = unwritable(outcome.result()); !why.empty()) {
    return Outcome::error("the worker's result cannot be stored as JSON: " + why);
  }
  return outcome;
}

JobFinishParams finish_params_for(const Execution& exec, const Outcome& outcome, const Worker* worker,
                                  Timestamp now) {
  JobFinishParams p;
  p.id = exec.job().id;
  p.token = exec.token();
  p.now = now;
  auto retry_at = [&] {
    Millis delay = worker ? worker->backoff(exec.job().attempt) : default_backoff(exec.job().attempt);
    return now + delay.count();
  };
  switch (outcome.kind()) {
    case Outcome::Kind::ok:
      p.kind = FinishKind::complete;
      p.result = outcome.result();
      break;
    case Outcome::Kind::error:
      p.kind = FinishKind::error;
      p.message = outcome.message();
      p.scheduled_at = retry_at();
      break;
    case Outcome::Kind::discard:
      p.kind = FinishKind::discard;
      p.message = outcome.message();
      break;
    case Outcome::Kind::cancel:
      p.kind = FinishKind::cancel;
      p.message = outcome.message();
      break;
    case Outcome::Kind::snooze:
      p.kind = FinishKind::snooze;
      p.scheduled_at = now + outcome.snooze_for().count();
      break;
    case Outcome::Kind::interrupted:
      if (exec.stop_reason() == StopReason::timeout) {
        p.kind = FinishKind::error;
        p.message = "timed out after " + std::to_string(now - exec.started_at()) + " ms";
        p.scheduled_at = retry_at();
      } else {
        p.kind = FinishKind::interrupt;
      }
      break;
  }
  return p;
}

}  // namespace jobrunner::detail
