#include "jobrunner/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "execution.h"
#include "group_commit.h"
#include "process_identity.h"
#include "runner_log.h"

namespace jobrunner {

using detail::Execution;
using SteadyTime = std::chrono::steady_clock::time_point;

struct QueueState;

namespace {

// The queue of the executor running on this thread while it hands over the end of a run, and
// whether it has become the writer of batches (it is then no longer counted as coming back).
thread_local QueueState* returning_to = nullptr;
thread_local bool writing_batches = false;

// How many times a finish that failed for a reason that does not pass by itself is tried before
// the job is left executing for the rescuer (busy, disk full and I/O errors are tried for as long
// as the job's lease is held).
constexpr int kFinishTries = 5;

// An executor with no job, while a claim is in flight and the engine's writes are short (the lite
// engine: GroupCommit::writes_are_short), waits for the claim awake, yielding the processor, for up
// to kShortWait: sleeping on the condition variable and being woken costs more (two thread
// switches), and with short jobs it would happen for nearly every job. A commit to storage is
// slept through.
constexpr std::chrono::microseconds kShortWait{200};

// Back to available with its checkpoint, the attempt given back: for jobs claimed but never
// started, and for jobs still running at the shutdown deadline.
JobFinishParams interrupt(JobId id, LeaseToken token, Timestamp now) {
  JobFinishParams p;
  p.id = id;
  p.token = token;
  p.kind = FinishKind::interrupt;
  p.now = now;
  return p;
}

Status check_options(const RunnerOptions& o) {
  if (o.queues.empty()) return Status::invalid("no queues configured");
  for (const auto& q : o.queues) {
    if (!valid_queue_name(q.name)) {
      return Status::invalid("invalid queue name '" + q.name +
                             "': use 1-64 characters of letters, digits, '_', '-' or '.'");
    }
    if (q.concurrency < 1) {
      return Status::invalid("queue '" + q.name + "' has concurrency " + std::to_string(q.concurrency) +
                             ": it must be at least 1");
    }
  }
  for (Millis m :
       {o.lease_duration, o.poll_interval, o.stage_interval, o.rescue_interval, o.prune_interval}) {
    if (m.count() <= 0) return Status::invalid("runner intervals and the lease duration must be positive");
  }
  if (o.shutdown_grace.count() < 0) return Status::invalid("shutdown grace must not be negative");
  return Status::ok();
}

}  // namespace

struct QueueState {
  QueueConfig config;
  std::deque<Job> ready;            // claimed, waiting for an executor
  std::atomic<int> ready_count{0};  // ready.size(), for an executor to watch without mu_
  int running = 0;
  int returning = 0;  // executors whose job has ended, on their way back for the next one
  int sleeping = 0;   // executors waiting for a job
  bool want_claim = true;
  bool claiming = false;  // a claim is in flight, by the producer or along with a group commit
  std::condition_variable claim_cv;
  std::condition_variable work_cv;

  int free_slots() const { return config.concurrency - running - static_cast<int>(ready.size()); }

  // Yields the processor until a job is ready or kShortWait has passed. REQUIRES: mu_ not held.
  void wait_briefly_for_job() const {
    const auto until = std::chrono::steady_clock::now() + kShortWait;
    while (ready_count.load(std::memory_order_relaxed) == 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
  }
};

class Runner::Impl final : private detail::GroupCommit::Claims {
 public:
  Impl(std::shared_ptr<Engine> engine, std::shared_ptr<const WorkerRegistry> workers, RunnerOptions options)
      : engine_(std::move(engine)),
        workers_(std::move(workers)),
        opt_(std::move(options)),
        clock_(opt_.clock ? opt_.clock : std::make_shared<SystemClock>()),
        logger_(opt_.logger ? opt_.logger : spdlog::default_logger()),
        id_(opt_.instance_id.empty() ? detail::new_instance_id() : opt_.instance_id),
        commits_(*engine_, *this, *logger_, kFinishTries) {
    log_subscription_ = telemetry_.subscribe(detail::make_log_handler(logger_));
  }

  ~Impl() {
    if (phase_ == Phase::running || phase_ == Phase::draining) stop(Millis(0));
    join_all();
    telemetry_.unsubscribe(log_subscription_);
  }

  Status start();
  StopReport stop(std::optional<Millis> grace);
  void request_stop();
  StopReport wait();
  Result<std::vector<InsertResult>> insert_many(std::vector<NewJob> jobs);
  Result<Job> cancel(JobId id);
  Status set_paused(const std::string& queue, bool paused);
  Result<std::int64_t> stage_once();
  Result<RescueCounts> rescue_once();
  Result<std::int64_t> prune_once();

  enum class Phase { idle, running, draining, stopped };

  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const WorkerRegistry> workers_;
  RunnerOptions opt_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<spdlog::logger> logger_;
  Telemetry telemetry_;
  std::string id_;
  int log_subscription_ = 0;
  detail::GroupCommit commits_;  // the ends of runs, written in shared transactions

  mutable std::mutex mu_;
  std::condition_variable state_cv_;  // stop waiters and the ticker
  Phase phase_ = Phase::idle;
  std::map<std::string, std::unique_ptr<QueueState>> queues_;
  std::map<JobId, std::shared_ptr<Execution>> running_;
  std::vector<std::thread> threads_;
  std::thread stopper_;
  int producers_ = 0;     // producer threads not yet returned
  int group_claims_ = 0;  // claims made along with group commits, not yet delivered
  bool hard_stop_ = false;
  bool tick_now_ = false;
  Timestamp deadline_ = 0;
  StopReport report_;
  bool stop_done_ = false;
  int clock_subscription_ = 0;
  std::uint64_t data_version_ = 0;

 private:
  void produce(QueueState& q);
  // Hands claimed jobs to q's executors; returns how many sleeping executors to wake (after mu_ is
  // released, so that they do not wake only to wait for it). REQUIRES: mu_ held.
  int accept(QueueState& q, std::vector<Job>& jobs, Timestamp claimed_at);
  std::vector<JobClaimParams> plan() override;
  void deliver(std::span<const JobClaimParams> claims,
               std::vector<Result<std::vector<Job>>> claimed) override;
  void execute_loop(QueueState& q);
  // How a run ended: the write that records it, and the event that reports it once written.
  struct Ending {
    JobFinishParams params;
    Event stop;
  };
  Ending run(const std::shared_ptr<Execution>& exec);
  // Called once a run's end has been written (or has failed for good).
  void settle(const std::shared_ptr<Execution>& exec, Event stop, const Status& written);
  void time_out(Execution& exec, Timestamp now);
  void give_back(std::vector<Job> jobs);
  void tick_loop();
  void check_running_jobs();
  void check_timeouts();
  void renew_leases();
  void wake_all_producers();
  void release_running();
  void join_all();
  RunnerInfo registration() const;
};

Status Runner::Impl::start() {
  if (Status s = check_options(opt_); !s.is_ok()) return s;
  std::unique_lock lock(mu_);
  if (phase_ != Phase::idle)
    return Status::conflict("a runner is started once; make a new Runner to start again");
  RunnerInfo self = registration();
  if (Status s = engine_->runner_register(self); !s.is_ok()) return s;
  lock.unlock();
  if (auto r = rescue_once(); !r.is_ok()) return r.status();
  if (auto v = engine_->data_version(); v.is_ok()) data_version_ = *v;
  lock.lock();

  phase_ = Phase::running;
  for (const auto& config : opt_.queues) {
    auto q = std::make_unique<QueueState>();
    q->config = config;
    QueueState* raw = q.get();
    queues_.emplace(config.name, std::move(q));
    ++producers_;
    threads_.emplace_back([this, raw] { produce(*raw); });
    for (int i = 0; i < config.concurrency; ++i) threads_.emplace_back([this, raw] { execute_loop(*raw); });
  }
  clock_subscription_ = clock_->subscribe([this] {
    std::lock_guard l(mu_);
    tick_now_ = true;
    state_cv_.notify_all();
  });
  threads_.emplace_back([this] { tick_loop(); });
  Event e{EventKind::runner_started};
  e.count = static_cast<std::int64_t>(opt_.queues.size());
  e.message = id_;
  telemetry_.emit(e);
  return Status::ok();
}

RunnerInfo Runner::Impl::registration() const {
  RunnerInfo r = detail::this_process(id_);
  r.started_at = r.heartbeat_at = clock_->now();
  return r;
}

void Runner::Impl::produce(QueueState& q) {
  std::unique_lock lock(mu_);
  struct Exit {  // runs with the lock held
    Impl& impl;
    ~Exit() {
      --impl.producers_;
      impl.state_cv_.notify_all();
    }
  } on_exit{*this};
  while (true) {
    q.claim_cv.wait(lock, [&] {
      return phase_ != Phase::running || (q.want_claim && !q.claiming && q.free_slots() > 0);
    });
    if (phase_ != Phase::running) return;
    int n = q.free_slots();
    q.want_claim = false;
    q.claiming = true;
    lock.unlock();
    JobClaimParams p{q.config.name, n, id_, clock_->now(), opt_.lease_duration};
    auto claimed = engine_->job_claim(p);
    lock.lock();
    q.claiming = false;
    if (!claimed.is_ok()) {
      logger_->warn("claiming from queue {} failed, trying again: {}", q.config.name,
                    claimed.status().to_string());
      q.want_claim = true;
      q.claim_cv.wait_for(lock, opt_.poll_interval, [&] { return phase_ != Phase::running; });
      continue;
    }
    if (static_cast<int>(claimed->size()) == n) q.want_claim = true;  // there may be more
    if (phase_ != Phase::running) {
      lock.unlock();
      give_back(std::move(*claimed));
      lock.lock();
      return;
    }
    const int wake = accept(q, *claimed, p.now);
    lock.unlock();
    for (int i = 0; i < wake; ++i) q.work_cv.notify_one();
    lock.lock();
  }
}

int Runner::Impl::accept(QueueState& q, std::vector<Job>& jobs, Timestamp claimed_at) {
  for (Job& job : jobs) {
    Event e{EventKind::job_claimed};
    e.job = &job;
    e.queue_time = Millis(claimed_at - job.scheduled_at);
    telemetry_.emit(e);
    q.ready.push_back(std::move(job));
  }
  q.ready_count = static_cast<int>(q.ready.size());
  // Executors on their way back take jobs without being woken; waking a sleeping one for each job
  // as well would, with short jobs, spend more on thread switches than on the jobs. So one sleeper
  // is woken, and it wakes the next if jobs are still waiting (execute_loop).
  return static_cast<int>(q.ready.size()) > q.returning ? 1 : 0;
}

// A batch of finishes about to be written claims, in the same transaction, the jobs that fill the
// free slots of every queue that may have more.
std::vector<JobClaimParams> Runner::Impl::plan() {
  std::vector<JobClaimParams> claims;
  const Timestamp now = clock_->now();
  std::lock_guard lock(mu_);
  // plan() runs on the writing thread: an executor writing batches is not coming back soon. With
  // short writes it writes its own finish alone (GroupCommit::submit) and is back at once, for the
  // job claimed into its slot.
  if (returning_to != nullptr && !writing_batches && !commits_.writes_are_short()) {
    writing_batches = true;
    --returning_to->returning;
  }
  if (phase_ != Phase::running) return claims;
  for (auto& [name, q] : queues_) {
    const int limit = q->free_slots();
    if (!q->want_claim || q->claiming || limit <= 0) continue;
    q->want_claim = false;
    q->claiming = true;
    claims.push_back({name, limit, id_, now, opt_.lease_duration});
  }
  group_claims_ += static_cast<int>(claims.size());
  return claims;
}

void Runner::Impl::deliver(std::span<const JobClaimParams> claims,
                           std::vector<Result<std::vector<Job>>> claimed) {
  std::vector<Job> unwanted;  // claimed while a stop began: given back
  std::vector<std::pair<QueueState*, int>> wake;
  std::unique_lock lock(mu_);
  for (std::size_t i = 0; i < claims.size(); ++i) {
    QueueState& q = *queues_.at(claims[i].queue);
    q.claiming = false;
    if (!claimed[i].is_ok()) {
      // The producer tries again, with its own wait between failures.
      logger_->warn("claiming from queue {} failed: {}", q.config.name, claimed[i].status().to_string());
      q.want_claim = true;
      q.claim_cv.notify_one();
      continue;
    }
    std::vector<Job>& jobs = *claimed[i];
    if (static_cast<int>(jobs.size()) == claims[i].limit) q.want_claim = true;  // there may be more
    if (phase_ != Phase::running) {
      std::move(jobs.begin(), jobs.end(), std::back_inserter(unwanted));
      continue;
    }
    wake.emplace_back(&q, accept(q, jobs, claims[i].now));
  }
  lock.unlock();
  for (auto [q, n] : wake) {
    for (int i = 0; i < n; ++i) q->work_cv.notify_one();
  }
  give_back(std::move(unwanted));
  lock.lock();
  group_claims_ -= static_cast<int>(claims.size());
  // Only a stop waits for claims to be delivered; the ticker need not wake for every batch.
  if (phase_ != Phase::running) state_cv_.notify_all();
}

void Runner::Impl::execute_loop(QueueState& q) {
  std::unique_lock lock(mu_);
  while (true) {
    if (q.ready.empty() && phase_ == Phase::running && (q.claiming || commits_.writing()) &&
        commits_.writes_are_short()) {
      lock.unlock();
      q.wait_briefly_for_job();
      lock.lock();
    }
    ++q.sleeping;
    q.work_cv.wait(lock, [&] { return !q.ready.empty() || phase_ == Phase::stopped; });
    --q.sleeping;
    if (q.ready.empty()) return;
    Job job = std::move(q.ready.front());
    q.ready.pop_front();
    q.ready_count = static_cast<int>(q.ready.size());
    ++q.running;
    auto exec = std::make_shared<Execution>(std::move(job), *engine_, *clock_, telemetry_, *logger_);
    running_[exec->job().id] = exec;
    // Wake the next sleeper only for jobs that no executor on its way back will take: long jobs
    // start on every free executor within a few wake-ups, while short ones keep to few threads.
    const bool wake_next = q.sleeping > 0 && static_cast<int>(q.ready.size()) > q.returning;
    lock.unlock();
    if (wake_next) q.work_cv.notify_one();
    Ending ending = run(exec);
    lock.lock();
    // The slot is free once the worker has returned; the job stays in running_ (its lease renewed)
    // until its end is written. Whoever writes it also claims the jobs that fill free slots.
    --q.running;
    ++q.returning;
    exec->mark_finishing();
    lock.unlock();
    returning_to = &q;
    commits_.submit({.params = std::move(ending.params),
                     .done = [this, exec, stop = ending.stop](
                                 const Status& s) mutable { settle(exec, std::move(stop), s); },
                     .held = [exec] { return !exec->lease_given_up(); }});
    returning_to = nullptr;
    lock.lock();
    if (!std::exchange(writing_batches, false)) --q.returning;
  }
}

// A run's end that could not be written leaves the job executing under its lease, the outcome
// unrecorded, until the rescuer takes it; at a shutdown such a job counts as released.
void Runner::Impl::settle(const std::shared_ptr<Execution>& exec, Event stop, const Status& written) {
  const bool interrupted = stop.kind == EventKind::job_interrupted;
  stop.stale = !written.is_ok();
  const bool lease_lost = written.code() == StatusCode::stale_lease;
  if (stop.stale && !lease_lost) {
    logger_->error("job {} stays executing until its lease expires and it is rescued: {}", exec->job().id,
                   written.to_string());
  }
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    running_.erase(exec->job().id);
    stopping = phase_ != Phase::running;
    if (phase_ == Phase::draining) {
      if (!stop.stale) {
        ++(interrupted ? report_.interrupted : report_.completed);
      } else if (!lease_lost) {
        ++report_.released;
      }
    }
  }
  telemetry_.emit(stop);
  // Only a stop waits for running jobs to end; the ticker need not wake for every job.
  if (stopping) state_cv_.notify_all();
}

Runner::Impl::Ending Runner::Impl::run(const std::shared_ptr<Execution>& exec) {
  const Job& job = exec->job();
  const Worker* worker = workers_->find(job.worker);
  Event start{EventKind::job_start};
  start.job = &job;
  start.queue_time = Millis(exec->started_at() - job.scheduled_at);
  telemetry_.emit(start);

  std::optional<Outcome> outcome;
  if (worker == nullptr) {
    outcome = Outcome::error("unknown worker " + job.worker);
  } else {
    exec->set_timeout(worker->options().timeout);
    std::optional<std::string> thrown;
    try {
      outcome = worker->perform(*exec);
    } catch (const std::exception& ex) {
      thrown = ex.what();
    } catch (...) {
      thrown = detail::kNonStdException;
    }
    if (thrown) {
      outcome = Outcome::error(*thrown);
      Event e{EventKind::job_exception};
      e.job = &job;
      e.message = *thrown;
      e.duration = Millis(clock_->now() - exec->started_at());
      telemetry_.emit(e);
    }
  }
  outcome = detail::storable(std::move(*outcome));
  Timestamp now = clock_->now();
  Millis duration(now - exec->started_at());

  JobFinishParams p = detail::finish_params_for(*exec, *outcome, worker, now);
  Event stop{p.kind == FinishKind::interrupt ? EventKind::job_interrupted : EventKind::job_stop};
  stop.job = &job;
  stop.outcome = outcome->kind();
  stop.stop_reason = exec->stop_reason();
  stop.duration = duration;
  stop.progress = job.progress;
  stop.message = outcome->message();
  return {std::move(p), std::move(stop)};
}

void Runner::Impl::give_back(std::vector<Job> jobs) {
  if (jobs.empty()) return;
  std::vector<JobFinishParams> items;
  Timestamp now = clock_->now();
  for (const Job& job : jobs) items.push_back(interrupt(job.id, job.lease ? job.lease->token : 0, now));
  std::vector<Status> results = engine_->job_finish(items);
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].is_ok()) {
      logger_->warn("could not give back unstarted job {}: {}", jobs[i].id, results[i].to_string());
    }
  }
}

Result<std::vector<InsertResult>> Runner::Impl::insert_many(std::vector<NewJob> jobs) {
  for (NewJob& job : jobs) job = workers_->with_defaults(std::move(job));
  auto inserted = engine_->job_insert_many(jobs, clock_->now());
  if (!inserted.is_ok()) return inserted;
  std::lock_guard lock(mu_);
  for (const InsertResult& r : *inserted) {
    if (r.duplicate || r.job.state != JobState::available) continue;
    auto it = queues_.find(r.job.queue);
    if (it == queues_.end()) continue;
    it->second->want_claim = true;
    it->second->claim_cv.notify_one();
  }
  return inserted;
}

Result<Job> Runner::Impl::cancel(JobId id) {
  auto job = engine_->job_cancel(id, clock_->now());
  if (!job.is_ok()) return job;
  std::lock_guard lock(mu_);
  if (auto it = running_.find(id); it != running_.end()) {
    it->second->give_up_lease();
    it->second->request_stop(StopReason::cancel);
  }
  return job;
}

Status Runner::Impl::set_paused(const std::string& queue, bool paused) {
  if (!valid_queue_name(queue)) return Status::invalid("invalid queue name '" + queue + "'");
  Status s =
      paused ? engine_->queue_pause(queue, clock_->now()) : engine_->queue_resume(queue, clock_->now());
  if (s.is_ok() && !paused) {
    std::lock_guard lock(mu_);
    if (auto it = queues_.find(queue); it != queues_.end()) {
      it->second->want_claim = true;
      it->second->claim_cv.notify_one();
    }
  }
  return s;
}

Result<std::int64_t> Runner::Impl::stage_once() {
  auto staged = engine_->job_stage(clock_->now());
  if (staged.is_ok() && *staged > 0) {
    Event e{EventKind::jobs_staged};
    e.count = *staged;
    telemetry_.emit(e);
    wake_all_producers();
  }
  return staged;
}

Result<RescueCounts> Runner::Impl::rescue_once() {
  auto runners = engine_->runner_list();
  if (!runners.is_ok()) return runners.status();
  std::vector<std::string> dead;
  for (const RunnerInfo& r : *runners) {
    if (r.id != id_ && !detail::runner_alive(r)) dead.push_back(r.id);
  }
  auto counts = engine_->job_rescue({clock_->now(), dead});
  if (!counts.is_ok()) return counts;
  for (const std::string& gone : dead) {
    if (Status s = engine_->runner_unregister(gone); !s.is_ok()) {
      logger_->warn("could not forget stopped runner {}: {}", gone, s.to_string());
    }
  }
  if (counts->rescued > 0 || counts->discarded > 0) {
    Event e{EventKind::jobs_rescued};
    e.count = counts->rescued;
    e.discarded = counts->discarded;
    telemetry_.emit(e);
    wake_all_producers();
  }
  return counts;
}

Result<std::int64_t> Runner::Impl::prune_once() {
  if (opt_.prune_age.count() == 0) return std::int64_t{0};
  auto pruned = engine_->job_prune({clock_->now() - opt_.prune_age.count(), 10'000});
  if (pruned.is_ok() && *pruned > 0) {
    Event e{EventKind::jobs_pruned};
    e.count = *pruned;
    telemetry_.emit(e);
  }
  return pruned;
}

void Runner::Impl::wake_all_producers() {
  std::lock_guard lock(mu_);
  for (auto& [name, q] : queues_) {
    q->want_claim = true;
    q->claim_cv.notify_one();
  }
}

// One thread runs every periodic service, each when it is due; a jump of a fake clock makes them
// all due at once, so tests move time and see its effects without sleeping.
void Runner::Impl::tick_loop() {
  auto now = std::chrono::steady_clock::now();
  SteadyTime next_stage = now, next_rescue = now + opt_.rescue_interval, next_prune = now,
             next_renew = now + opt_.lease_duration / 3;
  std::unique_lock lock(mu_);
  while (phase_ == Phase::running || phase_ == Phase::draining) {
    bool jumped = std::exchange(tick_now_, false);
    bool maintain = phase_ == Phase::running;  // a draining runner only keeps its leases
    lock.unlock();
    now = std::chrono::steady_clock::now();
    if (jumped || now >= next_renew) {
      renew_leases();
      next_renew = now + opt_.lease_duration / 3;
    }
    check_timeouts();
    if (auto v = engine_->data_version(); v.is_ok() && *v != data_version_) {
      data_version_ = *v;
      wake_all_producers();
      check_running_jobs();
    }
    if (maintain && (jumped || now >= next_stage)) {
      if (auto r = stage_once(); !r.is_ok()) logger_->warn("staging failed: {}", r.status().to_string());
      next_stage = now + opt_.stage_interval;
    }
    if (maintain && (jumped || now >= next_rescue)) {
      if (auto r = rescue_once(); !r.is_ok()) logger_->warn("rescue failed: {}", r.status().to_string());
      next_rescue = now + opt_.rescue_interval;
    }
    if (maintain && now >= next_prune) {
      if (auto r = prune_once(); !r.is_ok()) logger_->warn("pruning failed: {}", r.status().to_string());
      next_prune = now + opt_.prune_interval;
    }
    lock.lock();
    state_cv_.wait_for(lock, opt_.poll_interval,
                       [&] { return tick_now_ || (phase_ != Phase::running && phase_ != Phase::draining); });
  }
}

void Runner::Impl::check_timeouts() {
  Timestamp now = clock_->now();
  std::vector<std::shared_ptr<Execution>> late;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, exec] : running_) {
      const bool due = exec->timeout_at() != 0 && now >= exec->timeout_at();
      if (due && !exec->finishing() && !exec->lease_given_up()) late.push_back(exec);
    }
  }
  for (auto& exec : late) time_out(*exec, now);
}

// The attempt of a job past its timeout is recorded as an error at once, whether or not its worker
// heeds the stop: the lease is given up first, so whatever the worker writes afterwards (a
// checkpoint, its outcome) is rejected by the fence. A worker that never returns keeps its
// executor thread, but not its job.
void Runner::Impl::time_out(Execution& exec, Timestamp now) {
  if (!exec.give_up_lease()) return;
  exec.request_stop(StopReason::timeout);
  JobFinishParams p =
      detail::finish_params_for(exec, Outcome::interrupted(), workers_->find(exec.job().worker), now);
  // Written here rather than through the group commit: the ticker must not become the writer of
  // batches that may be tried again for a long time.
  std::vector<Status> written = engine_->job_finish(std::span(&p, 1));
  const Status s = written.empty() ? Status::internal("engine returned no result") : written.front();
  if (!s.is_ok()) {
    // Stale: the worker's own outcome got there first. Otherwise the rescuer takes the job once its
    // lease expires.
    if (s.code() != StatusCode::stale_lease)
      logger_->warn("recording the timeout of job {} failed: {}", p.id, s.to_string());
    return;
  }
  Event e{EventKind::job_stop};
  e.job = &exec.job();
  e.outcome = Outcome::Kind::error;
  e.stop_reason = StopReason::timeout;
  e.duration = Millis(now - exec.started_at());
  e.message = p.message;
  telemetry_.emit(e);
}

// A job cancelled or rescued by another process loses its lease; stop it promptly.
void Runner::Impl::check_running_jobs() {
  std::vector<std::shared_ptr<Execution>> execs;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, exec] : running_) execs.push_back(exec);
  }
  for (auto& exec : execs) {
    auto job = engine_->job_get(exec->job().id);
    if (!job.is_ok()) continue;
    bool held = job->state == JobState::executing && job->lease && job->lease->token == exec->token();
    if (held || exec->lease_given_up()) continue;
    exec->give_up_lease();
    exec->request_stop(job->state == JobState::cancelled ? StopReason::cancel : StopReason::lease_lost);
  }
}

void Runner::Impl::renew_leases() {
  JobLeaseRenewParams p;
  p.owner = id_;
  p.expires_at = clock_->now() + opt_.lease_duration.count();
  {
    std::lock_guard lock(mu_);
    for (auto& [id, exec] : running_) {
      if (!exec->lease_given_up()) p.jobs.emplace_back(id, exec->token());
    }
  }
  RunnerInfo self = registration();
  if (Status s = engine_->runner_register(self); !s.is_ok())
    logger_->warn("heartbeat failed: {}", s.to_string());
  if (p.jobs.empty()) return;
  auto lost = engine_->job_lease_renew(p);
  if (!lost.is_ok()) {
    logger_->warn("renewing leases failed: {}", lost.status().to_string());
    return;
  }
  if (!lost->empty()) check_running_jobs();
}

void Runner::Impl::release_running() {
  std::vector<std::shared_ptr<Execution>> execs;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, exec] : running_) {
      // A run whose end is being written is settled by that write; giving up its lease only ends
      // the tries of a write the database keeps refusing.
      if (exec->finishing()) {
        exec->give_up_lease();
      } else if (exec->give_up_lease()) {
        execs.push_back(exec);
      }
    }
    report_.released += static_cast<int>(execs.size());
  }
  if (execs.empty()) return;
  std::vector<JobFinishParams> items;
  Timestamp now = clock_->now();
  for (auto& exec : execs) items.push_back(interrupt(exec->job().id, exec->token(), now));
  std::vector<Status> results = engine_->job_finish(items);
  for (std::size_t i = 0; i < execs.size(); ++i) {
    Event e{EventKind::job_released};
    e.job = &execs[i]->job();
    e.duration = Millis(now - execs[i]->started_at());
    if (!results[i].is_ok()) e.message = results[i].to_string();
    telemetry_.emit(e);
    execs[i]->request_stop(StopReason::lease_lost);
  }
}

StopReport Runner::Impl::stop(std::optional<Millis> grace) {
  std::unique_lock lock(mu_);
  if (phase_ == Phase::idle) return {};
  if (phase_ != Phase::running) {
    // A second stop while the first waits: skip the rest of the grace period.
    hard_stop_ = true;
    state_cv_.notify_all();
    state_cv_.wait(lock, [&] { return stop_done_; });
    return report_;
  }
  Timestamp began = clock_->now();
  phase_ = Phase::draining;
  deadline_ = began + grace.value_or(opt_.shutdown_grace).count();
  std::vector<Job> unstarted;
  for (auto& [name, q] : queues_) {
    for (Job& job : q->ready) unstarted.push_back(std::move(job));
    q->ready.clear();
    q->ready_count = 0;
    q->claim_cv.notify_all();
  }
  for (auto& [id, exec] : running_) exec->request_stop(StopReason::shutdown);
  Event draining{EventKind::runner_draining};
  draining.count = static_cast<std::int64_t>(running_.size());
  lock.unlock();
  telemetry_.emit(draining);
  give_back(std::move(unstarted));
  lock.lock();
  // A claim in flight when the stop began is given back by whoever made it; wait for that, so that no
  // job is left executing under this runner once stop() returns.
  state_cv_.wait(lock, [&] { return producers_ == 0 && group_claims_ == 0; });

  auto settled = [&] { return running_.empty() || hard_stop_ || clock_->now() >= deadline_; };
  while (!settled()) {
    Millis left(std::max<Timestamp>(1, deadline_ - clock_->now()));
    state_cv_.wait_for(lock, std::min(left, Millis(50)), settled);
  }
  lock.unlock();
  release_running();
  lock.lock();
  state_cv_.wait(lock, [&] {
    return std::none_of(running_.begin(), running_.end(),
                        [](const auto& r) { return r.second->finishing(); });
  });
  phase_ = Phase::stopped;
  for (auto& [name, q] : queues_) {
    q->work_cv.notify_all();
    q->claim_cv.notify_all();
  }
  report_.elapsed = Millis(clock_->now() - began);
  lock.unlock();
  clock_->unsubscribe(clock_subscription_);
  if (Status s = engine_->runner_unregister(id_); !s.is_ok()) {
    logger_->warn("could not unregister runner {}: {}", id_, s.to_string());
  }
  Event stopped{EventKind::runner_stopped};
  stopped.count = report_.completed;
  stopped.discarded = report_.released;
  stopped.duration = report_.elapsed;
  stopped.message = "completed " + std::to_string(report_.completed) + ", interrupted " +
                    std::to_string(report_.interrupted) + ", released " + std::to_string(report_.released);
  telemetry_.emit(stopped);
  lock.lock();
  stop_done_ = true;
  state_cv_.notify_all();
  return report_;
}

void Runner::Impl::request_stop() {
  std::lock_guard lock(mu_);
  // A second request, even one that arrives before the first has begun draining, skips the grace.
  if (phase_ == Phase::draining || stopper_.joinable()) {
    hard_stop_ = true;
    state_cv_.notify_all();
    return;
  }
  if (phase_ != Phase::running) return;
  stopper_ = std::thread([this] { stop(std::nullopt); });
}

StopReport Runner::Impl::wait() {
  std::unique_lock lock(mu_);
  state_cv_.wait(lock, [&] { return stop_done_ || phase_ == Phase::idle; });
  return report_;
}

void Runner::Impl::join_all() {
  if (stopper_.joinable()) stopper_.join();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

Runner::Runner(std::shared_ptr<Engine> engine, std::shared_ptr<const WorkerRegistry> workers,
               RunnerOptions options)
    : impl_(std::make_unique<Impl>(std::move(engine), std::move(workers), std::move(options))) {}

Runner::~Runner() = default;

Status Runner::start() { return impl_->start(); }
StopReport Runner::stop(std::optional<Millis> grace) { return impl_->stop(grace); }
void Runner::request_stop() { impl_->request_stop(); }
StopReport Runner::wait() { return impl_->wait(); }

bool Runner::running() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->phase_ == Impl::Phase::running;
}

bool Runner::draining() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->phase_ == Impl::Phase::draining;
}

Result<InsertResult> Runner::insert(NewJob job) {
  std::vector<NewJob> one;
  one.push_back(std::move(job));
  auto r = impl_->insert_many(std::move(one));
  if (!r.is_ok()) return r.status();
  return std::move(r->front());
}

Result<std::vector<InsertResult>> Runner::insert_many(std::vector<NewJob> jobs) {
  return impl_->insert_many(std::move(jobs));
}

Result<Job> Runner::cancel(JobId id) { return impl_->cancel(id); }
Status Runner::pause(const std::string& queue) { return impl_->set_paused(queue, true); }
Status Runner::resume(const std::string& queue) { return impl_->set_paused(queue, false); }

int Runner::executing() const {
  std::lock_guard lock(impl_->mu_);
  return static_cast<int>(impl_->running_.size());
}

Engine& Runner::engine() { return *impl_->engine_; }
const WorkerRegistry& Runner::workers() const { return *impl_->workers_; }
Telemetry& Runner::telemetry() { return impl_->telemetry_; }
const std::string& Runner::instance_id() const { return impl_->id_; }
Clock& Runner::clock() { return *impl_->clock_; }
Result<std::int64_t> Runner::stage_once() { return impl_->stage_once(); }
Result<RescueCounts> Runner::rescue_once() { return impl_->rescue_once(); }
Result<std::int64_t> Runner::prune_once() { return impl_->prune_once(); }

}  // namespace jobrunner
