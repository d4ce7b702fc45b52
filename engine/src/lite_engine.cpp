#include "jobrunner/lite_engine.h"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <random>

#include "lite_store.h"

namespace jobrunner {

namespace {

using lite::StoredJob;

// The lite engine has no database, so a checkpoint's transaction carries no connection.
class NoDatabase final : public Transaction {
 public:
  SQLite::Database* sqlite() override { return nullptr; }
};

bool wants(const JobFilter& f, const std::string& queue, JobState state) {
  return (f.queue.empty() || f.queue == queue) &&
         (f.states.empty() || std::find(f.states.begin(), f.states.end(), state) != f.states.end());
}

bool matches(const JobFilter& f, const StoredJob& s) {
  return wants(f, s.queue->first, s.state) && (f.worker.empty() || f.worker == *s.worker);
}

Status stale(JobId id, LeaseToken token) {
  return Status::stale("job " + std::to_string(id) + " no longer holds lease " + std::to_string(token));
}

void add_error(StoredJob& s, Timestamp now, std::string message) {
  s.more().errors.push_back(JobError{s.attempt, now, std::move(message)});
}

void finalize(StoredJob& s, JobState state, Timestamp now) {
  s.state = state;
  s.finished_at = now;
  s.more().lease.reset();
}

// Takes a job off its lease (if it has one) to wait in `state` from scheduled_at.
void release(StoredJob& s, JobState state, Timestamp scheduled_at) {
  s.state = state;
  s.scheduled_at = scheduled_at;
  if (s.extras) s.extras->lease.reset();
}

// Applies one execution outcome to a job that holds its lease.
void apply_finish(StoredJob& s, const JobFinishParams& p) {
  switch (p.kind) {
    case FinishKind::complete:
      s.more().result = p.result;
      finalize(s, JobState::completed, p.now);
      break;
    case FinishKind::error:
      add_error(s, p.now, p.message);
      if (s.attempt >= s.max_attempts) {
        finalize(s, JobState::discarded, p.now);
      } else {
        release(s, JobState::retryable, p.scheduled_at);
      }
      break;
    case FinishKind::discard:
      add_error(s, p.now, p.message);
      finalize(s, JobState::discarded, p.now);
      break;
    case FinishKind::cancel:
      add_error(s, p.now, p.message);
      finalize(s, JobState::cancelled, p.now);
      break;
    case FinishKind::snooze:
      --s.attempt;
      release(s, JobState::scheduled, p.scheduled_at);
      break;
    case FinishKind::interrupt:
      --s.attempt;
      release(s, JobState::available, p.now);
      break;
  }
}

class LiteEngine final : public Engine {
 public:
  std::string_view name() const override { return "lite"; }
  bool commits_to_storage() const override { return false; }

  Result<InsertResult> job_insert(const NewJob& job, Timestamp now) override {
    if (Status s = validate(job); !s.is_ok()) return s;
    std::lock_guard lock(mu_);
    return insert_locked(job, now);
  }

  Result<std::vector<InsertResult>> job_insert_many(std::span<const NewJob> jobs, Timestamp now) override {
    // Validating every job before storing any is what makes the batch all-or-nothing.
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (Status s = validate(jobs[i]); !s.is_ok()) {
        return Status(s.code(), "job " + std::to_string(i) + " of the batch: " + s.message());
      }
    }
    std::lock_guard lock(mu_);
    std::vector<InsertResult> out;
    out.reserve(jobs.size());
    for (const NewJob& job : jobs) out.push_back(insert_locked(job, now));
    return out;
  }

  Result<std::vector<Job>> job_claim(const JobClaimParams& p) override {
    std::lock_guard lock(mu_);
    return claim_locked(p);
  }

  std::vector<Status> job_finish(std::span<const JobFinishParams> items) override {
    std::lock_guard lock(mu_);
    return finish_locked(items);
  }

  FinishClaimResult job_finish_and_claim(std::span<const JobFinishParams> finishes,
                                         std::span<const JobClaimParams> claims) override {
    std::lock_guard lock(mu_);
    FinishClaimResult out{finish_locked(finishes), {}};
    for (const JobClaimParams& p : claims) out.claimed.push_back(claim_locked(p));
    return out;
  }

  Status job_checkpoint(const JobCheckpointParams& p) override {
    if (p.in_transaction) {
      // The worker's code runs without the engine's lock, so it may call the engine itself; the
      // fence is checked before it runs (a stale job does no work) and again before saving.
      {
        std::lock_guard lock(mu_);
        if (leased(p.id, p.token) == nullptr) return stale(p.id, p.token);
      }
      NoDatabase tx;
      std::string failure;
      try {
        p.in_transaction(tx);
      } catch (const std::exception& e) {
        failure = e.what();
      } catch (...) {
        failure = "unknown exception";
      }
      if (!failure.empty()) {
        return Status::invalid("checkpoint of job " + std::to_string(p.id) + " not saved: " + failure);
      }
    }
    std::lock_guard lock(mu_);
    StoredJob* s = leased(p.id, p.token);
    if (s == nullptr) return stale(p.id, p.token);
    s->extras->checkpoint = p.checkpoint;
    s->extras->progress = p.progress;
    return Status::ok();
  }

  Result<std::vector<JobId>> job_lease_renew(const JobLeaseRenewParams& p) override {
    std::lock_guard lock(mu_);
    std::vector<JobId> lost;
    for (const auto& [id, token] : p.jobs) {
      StoredJob* s = leased(id, token);
      if (s == nullptr || s->extras->lease->owner != p.owner) {
        lost.push_back(id);
      } else {
        s->extras->lease->expires_at = p.expires_at;
      }
    }
    return lost;
  }

  Result<std::int64_t> job_stage(Timestamp now) override {
    std::lock_guard lock(mu_);
    std::int64_t staged = 0;
    while (!store_.waiting().empty() && store_.waiting().begin()->first <= now) {
      store_.update(*store_.find(store_.waiting().begin()->second),
                    [](StoredJob& j) { j.state = JobState::available; });
      ++staged;
    }
    return staged;
  }

  Result<RescueCounts> job_rescue(const JobRescueParams& p) override {
    std::lock_guard lock(mu_);
    RescueCounts counts;
    std::vector<std::pair<StoredJob*, std::string>> orphans;  // with why each is an orphan
    for (JobId id : store_.executing()) {
      StoredJob* s = store_.find(id);
      const Lease& lease = *s->extras->lease;
      if (std::find(p.dead_owners.begin(), p.dead_owners.end(), lease.owner) != p.dead_owners.end()) {
        orphans.emplace_back(s, "orphaned: runner " + lease.owner + " is gone");
      } else if (lease.expires_at <= p.now) {
        orphans.emplace_back(s, "orphaned: the lease of runner " + lease.owner + " expired");
      }
    }
    for (auto& orphan : orphans) {
      const std::string& why = orphan.second;  // named, not bound: clang 14 lambdas cannot capture bindings
      store_.update(*orphan.first, [&](StoredJob& j) {
        if (j.attempt >= j.max_attempts) {
          add_error(j, p.now, why + ", with no attempts left");
          finalize(j, JobState::discarded, p.now);
          ++counts.discarded;
        } else {
          add_error(j, p.now, why);
          release(j, JobState::available, j.scheduled_at);
          ++counts.rescued;
        }
      });
    }
    return counts;
  }

  Result<std::int64_t> job_prune(const JobPruneParams& p) override {
    std::lock_guard lock(mu_);
    std::int64_t pruned = 0;
    while (pruned < p.limit && !store_.finished().empty() &&
           store_.finished().begin()->first < p.finished_before) {
      store_.erase(*store_.find(store_.finished().begin()->second));
      ++pruned;
    }
    return pruned;
  }

  Result<Job> job_cancel(JobId id, Timestamp now) override {
    std::lock_guard lock(mu_);
    StoredJob* s = store_.find(id);
    if (s == nullptr) return not_found(id);
    if (is_final(s->state)) {
      return Status::conflict("job " + std::to_string(id) + " is already " + state_of(*s));
    }
    store_.update(*s, [&](StoredJob& j) { finalize(j, JobState::cancelled, now); });
    return store_.to_job(*s);
  }

  Result<Job> job_retry(JobId id, Timestamp now) override {
    std::lock_guard lock(mu_);
    StoredJob* s = store_.find(id);
    if (s == nullptr) return not_found(id);
    if (s->state == JobState::available || s->state == JobState::executing) {
      return Status::conflict("job " + std::to_string(id) + " is " + state_of(*s) +
                              "; only a waiting or final job can be retried");
    }
    store_.update(*s, [&](StoredJob& j) {
      release(j, JobState::available, now);
      j.finished_at.reset();
      j.max_attempts = std::max(j.max_attempts, j.attempt + 1);
    });
    return store_.to_job(*s);
  }

  Result<Job> job_get(JobId id) override {
    std::lock_guard lock(mu_);
    const StoredJob* s = store_.find(id);
    if (s == nullptr) return not_found(id);
    return store_.to_job(*s);
  }

  Result<std::vector<Job>> job_list(const JobFilter& f) override {
    std::lock_guard lock(mu_);
    std::vector<Job> out;
    auto collect = [&](auto first, auto last) {
      for (; first != last && std::ssize(out) < f.limit; ++first) {
        if (matches(f, first->second)) out.push_back(store_.to_job(first->second));
      }
    };
    const auto& jobs = store_.jobs();
    if (f.newest_first) {
      collect(jobs.rbegin(), jobs.rend());
    } else {
      collect(jobs.begin(), jobs.end());
    }
    return out;
  }

  Result<std::vector<StateCount>> job_count(const JobFilter& f) override {
    std::lock_guard lock(mu_);
    // Counts by queue and state are kept up to date, so only a filter on the worker needs a scan.
    std::map<std::pair<std::string, JobState>, std::int64_t> tally;
    if (f.worker.empty()) {
      for (const auto& [name, q] : store_.queues()) {
        for (JobState state : kAllStates) tally[{name, state}] = q.counts[static_cast<std::size_t>(state)];
      }
    } else {
      for (const auto& [id, s] : store_.jobs()) {
        if (matches(f, s)) ++tally[{s.queue->first, s.state}];
      }
    }
    std::vector<StateCount> out;
    for (const auto& [key, count] : tally) {
      const auto& [queue, state] = key;
      if (count > 0 && wants(f, queue, state)) out.push_back(StateCount{queue, state, count});
    }
    return out;
  }

  Status queue_pause(const std::string& queue, Timestamp) override { return set_paused(queue, true); }
  Status queue_resume(const std::string& queue, Timestamp) override { return set_paused(queue, false); }

  Result<std::vector<QueueInfo>> queue_list() override {
    std::lock_guard lock(mu_);
    std::vector<QueueInfo> out;
    for (const auto& [name, q] : store_.queues()) {
      const bool has_jobs =
          std::any_of(q.counts.begin(), q.counts.end(), [](std::int64_t n) { return n > 0; });
      if (q.named || has_jobs) out.push_back(QueueInfo{name, q.paused});
    }
    return out;
  }

  Status runner_register(const RunnerInfo& r) override {
    std::lock_guard lock(mu_);
    runners_[r.id] = r;
    return Status::ok();
  }

  Status runner_unregister(const std::string& id) override {
    std::lock_guard lock(mu_);
    runners_.erase(id);
    return Status::ok();
  }

  Result<std::vector<RunnerInfo>> runner_list() override {
    std::lock_guard lock(mu_);
    std::vector<RunnerInfo> out;
    out.reserve(runners_.size());
    for (const auto& [id, r] : runners_) out.push_back(r);
    return out;
  }

  // Only this process can write to the store, so there is never a foreign change to notice.
  Result<std::uint64_t> data_version() override { return std::uint64_t{1}; }

 private:
  InsertResult insert_locked(const NewJob& job, Timestamp now) {
    std::optional<std::string> key;
    if (job.unique) {
      key = unique_key_for(job);
      if (StoredJob* dup = store_.find_duplicate(*key, *job.unique, now))
        return InsertResult{store_.to_job(*dup), true};
    }
    return InsertResult{store_.to_job(store_.insert(job, key, now)), false};
  }

  // The job when it is executing under this lease token: every write on a job's behalf goes
  // through here, which is what makes the writes of a job that lost its lease change nothing.
  Result<std::vector<Job>> claim_locked(const JobClaimParams& p) {
    std::vector<Job> out;
    const lite::Queue* q = store_.find_queue(p.queue);
    if (q == nullptr || q->paused) return out;
    while (std::ssize(out) < p.limit && !q->available.empty()) {
      const JobId next = std::get<2>(*q->available.begin());
      StoredJob& s = *store_.find(next);
      store_.update(s, [&](StoredJob& j) {
        j.state = JobState::executing;
        ++j.attempt;
        j.attempted_at = p.now;
        j.more().lease = Lease{p.owner, new_token(), p.now + p.lease_duration.count()};
      });
      out.push_back(store_.to_job(s));
    }
    return out;
  }

  std::vector<Status> finish_locked(std::span<const JobFinishParams> items) {
    std::vector<Status> out;
    out.reserve(items.size());
    for (const JobFinishParams& p : items) {
      StoredJob* s = leased(p.id, p.token);
      if (s == nullptr) {
        out.push_back(stale(p.id, p.token));
        continue;
      }
      store_.update(*s, [&](StoredJob& j) { apply_finish(j, p); });
      out.push_back(Status::ok());
    }
    return out;
  }

  StoredJob* leased(JobId id, LeaseToken token) {
    StoredJob* s = store_.find(id);
    const bool holds = s != nullptr && s->state == JobState::executing && s->extras->lease->token == token;
    return holds ? s : nullptr;
  }

  Status set_paused(const std::string& queue, bool paused) {
    if (!valid_queue_name(queue)) return Status::invalid("invalid queue name '" + queue + "'");
    std::lock_guard lock(mu_);
    lite::Queue& q = store_.queue(queue);
    q.paused = paused;
    q.named = true;
    return Status::ok();
  }

  LeaseToken new_token() {
    return std::uniform_int_distribution<LeaseToken>(1, std::numeric_limits<LeaseToken>::max())(random_);
  }

  static Status not_found(JobId id) { return Status::not_found("no job " + std::to_string(id)); }
  static std::string state_of(const StoredJob& s) { return std::string(to_string(s.state)); }

  std::mutex mu_;
  lite::LiteStore store_;
  std::map<std::string, RunnerInfo> runners_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace

std::shared_ptr<Engine> make_lite_engine() { return std::make_shared<LiteEngine>(); }

}  // namespace jobrunner
