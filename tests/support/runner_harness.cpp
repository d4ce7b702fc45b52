#include "support/runner_harness.h"

#include <algorithm>

#include "workers/test_job.h"

namespace jobrunner::testing {

void Probe::started(JobId id) {
  std::lock_guard lock(mu_);
  ++starts_[id];
  order_.push_back(id);
  max_running_ = std::max(max_running_, ++running_);
  cv_.notify_all();
}

void Probe::finished(JobId) {
  std::lock_guard lock(mu_);
  --running_;
}

int Probe::max_concurrent() const {
  std::lock_guard lock(mu_);
  return max_running_;
}

bool Probe::wait_running(int n, Millis limit) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return running_ >= n; });
}

int Probe::starts(JobId id) const {
  std::lock_guard lock(mu_);
  auto it = starts_.find(id);
  return it == starts_.end() ? 0 : it->second;
}

std::vector<JobId> Probe::start_order() const {
  std::lock_guard lock(mu_);
  return order_;
}

void Probe::open_gate() {
  std::lock_guard lock(mu_);
  gate_open_ = true;
  cv_.notify_all();
}

void Probe::saved(JobId id, const Status& s) {
  std::lock_guard lock(mu_);
  saves_[id] = s;
}

std::optional<Status> Probe::last_save(JobId id) const {
  std::lock_guard lock(mu_);
  auto it = saves_.find(id);
  if (it == saves_.end()) return std::nullopt;
  return it->second;
}

bool Probe::wait_gate(std::stop_token stop, bool honour_stop) {
  std::unique_lock lock(mu_);
  if (!honour_stop) {
    cv_.wait(lock, [&] { return gate_open_; });
    return true;
  }
  return cv_.wait(lock, stop, [&] { return gate_open_; });
}

Outcome ScriptedWorker::perform(JobContext& ctx) const {
  const json& args = ctx.args();
  const std::string action = args.value("do", std::string("ok"));
  const std::string message = args.value("message", std::string("scripted ") + action);
  probe_->started(ctx.job().id);
  struct Done {
    Probe& p;
    JobId id;
    ~Done() { p.finished(id); }
  } done{*probe_, ctx.job().id};

  if (action == "ok") return Outcome::ok(args.value("result", json()));
  if (action == "error") return Outcome::error(message);
  if (action == "throw") throw std::runtime_error(message);
  if (action == "throw_other") throw 42;
  if (action == "bad_result") return Outcome::ok({{"text", "caf\xFF"}});
  if (action == "bad_checkpoint") {
    probe_->saved(ctx.job().id, ctx.save_checkpoint({{"text", "caf\xFF"}}));
    return Outcome::ok();
  }
  if (action == "discard") return Outcome::discard(message);
  if (action == "cancel") return Outcome::cancel(message);
  if (action == "snooze") return Outcome::snooze(Millis(args.value("snooze_ms", 1000)));
  if (action == "wait_stop") {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait(lock, ctx.stop_token(), [] { return false; });
    return Outcome::interrupted();
  }
  if (action == "wait_gate") {
    return probe_->wait_gate(ctx.stop_token(), true) ? Outcome::ok(args.value("result", json()))
                                                     : Outcome::interrupted();
  }
  if (action == "ignore_stop") {
    probe_->wait_gate(ctx.stop_token(), false);
    Status saved = ctx.save_checkpoint({{"late", true}}, Progress{1, 1});
    probe_->saved(ctx.job().id, saved);
    return Outcome::ok({{"checkpoint_saved", saved.is_ok()}});
  }
  return Outcome::discard("unknown scripted action " + action);
}

void EventLog::record(const Event& e) {
  Record r{e.kind, e.job ? e.job->id : 0, e.outcome, e.stop_reason, e.message, e.stale};
  std::lock_guard lock(mu_);
  records_.push_back(std::move(r));
  cv_.notify_all();
}

int EventLog::count_locked(EventKind kind, JobId job) const {
  int n = 0;
  for (const Record& r : records_) n += r.kind == kind && (job == 0 || r.job_id == job);
  return n;
}

int EventLog::ended_locked(JobId job) const {
  return count_locked(EventKind::job_stop, job) + count_locked(EventKind::job_interrupted, job);
}

bool EventLog::wait_for(EventKind kind, int n, JobId job, Millis limit) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return count_locked(kind, job) >= n; });
}

bool EventLog::wait_ended(JobId id, int n, Millis limit) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return ended_locked(id) >= n; });
}

std::optional<EventLog::Record> EventLog::last_end(JobId id) const {
  std::lock_guard lock(mu_);
  auto it = std::find_if(records_.rbegin(), records_.rend(), [&](const Record& r) {
    return r.job_id == id && (r.kind == EventKind::job_stop || r.kind == EventKind::job_interrupted);
  });
  if (it == records_.rend()) return std::nullopt;
  return *it;
}

int EventLog::count(EventKind kind, JobId job) const {
  std::lock_guard lock(mu_);
  return count_locked(kind, job);
}

std::vector<EventLog::Record> EventLog::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

std::vector<std::int64_t> test_job_chunk_numbers(const json& result) {
  std::vector<std::int64_t> out;
  for (const json& d : result.at("details")) out.push_back(d.at("chunk_number").get<std::int64_t>());
  return out;
}

template <class EngineFixture>
RunnerHarness<EngineFixture>::RunnerHarness(int c, WorkerOptions scripted, Millis backoff) : concurrency(c) {
  workers->add(kScripted, std::make_shared<ScriptedWorker>(probe, scripted, backoff));
  workers->add(workers::kTestJob, std::make_shared<workers::TestJob>());
  runner_ = make_runner(concurrency);
}

template <class EngineFixture>
std::unique_ptr<Runner> RunnerHarness<EngineFixture>::make_runner(int c) {
  RunnerOptions o;
  o.queues = {{"default", c}};
  o.clock = f.clock;
  o.shutdown_grace = Millis(60'000);
  o.logger = logger;
  auto runner = std::make_unique<Runner>(f.engine, workers, o);
  runner->telemetry().subscribe([log = events](const Event& e) { log->record(e); });
  return runner;
}

template <class EngineFixture>
void RunnerHarness<EngineFixture>::use_logger(std::shared_ptr<spdlog::logger> l) {
  logger = std::move(l);
  runner_ = make_runner(concurrency);
}

template <class EngineFixture>
void RunnerHarness<EngineFixture>::restart() {
  runner_ = make_runner(concurrency);
  REQUIRE(runner_->start().is_ok());
}

template <class EngineFixture>
Job RunnerHarness<EngineFixture>::insert(json args, std::function<void(NewJob&)> tweak) {
  NewJob job;
  job.worker = kScripted;
  job.args = std::move(args);
  if (tweak) tweak(job);
  auto r = runner_->insert(std::move(job));
  REQUIRE(r.status() == Status::ok());
  return r->job;
}

template <class EngineFixture>
bool RunnerHarness<EngineFixture>::wait_stopped(JobId id, int n) {
  return events->wait_ended(id, n);
}

template <class EngineFixture>
Job RunnerHarness<EngineFixture>::run_once(json args) {
  const Job job = insert(std::move(args));
  REQUIRE(wait_stopped(job.id));
  return get(job.id);
}

template struct RunnerHarness<LiteEngineFixture>;
template struct RunnerHarness<DurableEngineFixture>;

}  // namespace jobrunner::testing
