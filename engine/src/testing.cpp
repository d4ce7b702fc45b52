#include "jobrunner/testing.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

#include "execution.h"
#include "jobrunner/lite_engine.h"

namespace jobrunner::testing {

namespace {

using detail::Execution;

constexpr const char* kOwner = "jobrunner-testing";
// Inline runs have no lease keeper, so the lease outlasts any test.
constexpr Millis kLease{24LL * 3600 * 1000};

void check(const Status& s, const std::string& what) {
  if (!s.is_ok()) throw std::runtime_error(what + ": " + s.to_string());
}

template <class T>
T take(Result<T> r, const std::string& what) {
  check(r.status(), what);
  return std::move(r).value();
}

struct Env {
  std::shared_ptr<Clock> clock;
  std::shared_ptr<spdlog::logger> logger;
};

Env make_env(std::shared_ptr<Clock> clock, std::shared_ptr<spdlog::logger> logger) {
  if (!clock) clock = std::make_shared<SystemClock>();
  // A logger without sinks: the worker may log, nothing is written.
  if (!logger) logger = std::make_shared<spdlog::logger>("jobrunner-testing");
  return {std::move(clock), std::move(logger)};
}

std::optional<Job> claim_next(Engine& engine, const std::string& queue, Timestamp now) {
  auto claimed = take(engine.job_claim({queue, 1, kOwner, now, kLease}), "claiming from queue " + queue);
  if (claimed.empty()) return std::nullopt;
  return std::move(claimed.front());
}

// An exception escaping a worker is an error outcome, as in the runner.
Outcome perform_caught(const Worker& worker, JobContext& ctx) {
  try {
    return worker.perform(ctx);
  } catch (const std::exception& e) {
    return Outcome::error(e.what());
  } catch (...) {
    return Outcome::error(detail::kNonStdException);
  }
}

// Executes a claimed job with the runner's Execution and records its outcome. `setup` sees the
// execution and its telemetry before the worker starts.
Outcome run_claimed(Engine& engine, const Worker* worker, Job claimed, const Env& env,
                    const std::function<void(Execution&, Telemetry&)>& setup = {}) {
  Telemetry telemetry;
  Execution exec(std::move(claimed), engine, *env.clock, telemetry, *env.logger);
  if (setup) setup(exec, telemetry);
  Outcome outcome = detail::storable(worker ? perform_caught(*worker, exec)
                                            : Outcome::error("unknown worker " + exec.job().worker));
  const JobFinishParams finish[] = {detail::finish_params_for(exec, outcome, worker, env.clock->now())};
  check(engine.job_finish(finish).front(), "recording the outcome of job " + std::to_string(exec.job().id));
  return outcome;
}

int& count_of(DrainCounts& counts, Outcome::Kind kind) {
  switch (kind) {
    case Outcome::Kind::ok: return counts.ok;
    case Outcome::Kind::error: return counts.error;
    case Outcome::Kind::discard: return counts.discard;
    case Outcome::Kind::cancel: return counts.cancel;
    case Outcome::Kind::snooze: return counts.snooze;
    case Outcome::Kind::interrupted: return counts.interrupted;
  }
  throw std::logic_error("unknown outcome kind");
}

bool contains(const json& whole, const json& part) {
  if (!part.is_object()) return whole == part;
  if (!whole.is_object()) return false;
  for (const auto& [key, value] : part.items()) {
    auto it = whole.find(key);
    if (it == whole.end() || !contains(*it, value)) return false;
  }
  return true;
}

}  // namespace

Performed perform_job(const Worker& worker, json args, PerformOptions options) {
  if (options.stop_reason != StopReason::shutdown && options.stop_reason != StopReason::timeout) {
    throw std::invalid_argument("perform_job: stop_reason must be shutdown or timeout");
  }
  const Env env = make_env(options.clock, options.logger);
  std::shared_ptr<Engine> engine = make_lite_engine();
  const WorkerOptions defaults = worker.options();
  NewJob job;
  job.worker = options.worker_name;
  job.args = std::move(args);
  job.queue = defaults.queue;
  job.priority = defaults.priority;
  job.max_attempts = options.max_attempts > 0 ? options.max_attempts : defaults.max_attempts;
  take(engine->job_insert(job, env.clock->now()), "inserting the job");

  Job claimed = *claim_next(*engine, job.queue, env.clock->now());
  if (!options.checkpoint.is_null()) {
    JobCheckpointParams resume;
    resume.id = claimed.id;
    resume.token = claimed.lease->token;
    resume.now = env.clock->now();
    resume.checkpoint = options.checkpoint;
    check(engine->job_checkpoint(resume), "saving the checkpoint to resume from");
    claimed.checkpoint = options.checkpoint;
  }

  std::vector<json> checkpoints;
  Outcome outcome = run_claimed(*engine, &worker, claimed, env, [&](Execution& exec, Telemetry& telemetry) {
    auto stop_when = [&exec, &options](std::size_t saved) {
      if (options.stop_after_checkpoints == static_cast<int>(saved)) exec.request_stop(options.stop_reason);
    };
    stop_when(0);
    telemetry.subscribe([&checkpoints, stop_when](const Event& e) {
      if (e.kind != EventKind::checkpoint_saved) return;
      checkpoints.push_back(e.job->checkpoint);
      stop_when(checkpoints.size());
    });
  });
  return {std::move(outcome), take(engine->job_get(claimed.id), "reading the job back"),
          std::move(checkpoints)};
}

DrainCounts drain_queue(Engine& engine, const WorkerRegistry& workers, const std::string& queue,
                        DrainOptions options) {
  const Env env = make_env(options.clock, options.logger);
  DrainCounts counts;
  std::set<JobId> interrupted;
  while (std::optional<Job> job = claim_next(engine, queue, env.clock->now())) {
    if (interrupted.contains(job->id)) {
      // Its second claim in this drain: give it back untouched and end, rather than loop on it.
      JobFinishParams back;
      back.id = job->id;
      back.token = job->lease->token;
      back.kind = FinishKind::interrupt;
      back.now = env.clock->now();
      check(engine.job_finish({&back, 1}).front(), "giving back job " + std::to_string(job->id));
      break;
    }
    const JobId id = job->id;
    const Worker* worker = workers.find(job->worker);
    Outcome outcome = run_claimed(engine, worker, std::move(*job), env);
    ++count_of(counts, outcome.kind());
    if (outcome.kind() == Outcome::Kind::interrupted) interrupted.insert(id);
  }
  return counts;
}

std::vector<Job> enqueued(Engine& engine, const std::string& worker, const json& args) {
  JobFilter filter;
  filter.worker = worker;
  filter.states = {JobState::available, JobState::scheduled};
  filter.limit = std::numeric_limits<int>::max();
  filter.newest_first = false;
  std::vector<Job> jobs = take(engine.job_list(filter), "listing jobs of " + worker);
  std::erase_if(jobs, [&](const Job& job) { return !contains(job.args, args); });
  return jobs;
}

}  // namespace jobrunner::testing
