// RecordingEngine: a real engine, wrapped so that a test can see how the runner writes to it. Every
// call goes through to the engine inside unchanged; the number of finishes each write carried is
// kept, in order.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "jobrunner/engine.h"

namespace jobrunner::testing {

class RecordingEngine final : public Engine {
 public:
  explicit RecordingEngine(std::shared_ptr<Engine> inner) : inner_(std::move(inner)) {}

  // How many finishes each job_finish and job_finish_and_claim call carried, in call order.
  std::vector<std::size_t> finish_writes() const {
    std::lock_guard lock(mu_);
    return finish_writes_;
  }

  std::string_view name() const override { return inner_->name(); }
  bool commits_to_storage() const override { return inner_->commits_to_storage(); }
  Result<InsertResult> job_insert(const NewJob& job, Timestamp now) override {
    return inner_->job_insert(job, now);
  }
  Result<std::vector<InsertResult>> job_insert_many(std::span<const NewJob> jobs, Timestamp now) override {
    return inner_->job_insert_many(jobs, now);
  }
  Result<std::vector<Job>> job_claim(const JobClaimParams& p) override { return inner_->job_claim(p); }
  std::vector<Status> job_finish(std::span<const JobFinishParams> items) override {
    record(items.size());
    return inner_->job_finish(items);
  }
  FinishClaimResult job_finish_and_claim(std::span<const JobFinishParams> finishes,
                                         std::span<const JobClaimParams> claims) override {
    record(finishes.size());
    return inner_->job_finish_and_claim(finishes, claims);
  }
  Status job_checkpoint(const JobCheckpointParams& p) override { return inner_->job_checkpoint(p); }
  Result<std::vector<JobId>> job_lease_renew(const JobLeaseRenewParams& p) override {
    return inner_->job_lease_renew(p);
  }
  Result<std::int64_t> job_stage(Timestamp now) override { return inner_->job_stage(now); }
  Result<RescueCounts> job_rescue(const JobRescueParams& p) override { return inner_->job_rescue(p); }
  Result<std::int64_t> job_prune(const JobPruneParams& p) override { return inner_->job_prune(p); }
  Result<Job> job_cancel(JobId id, Timestamp now) override { return inner_->job_cancel(id, now); }
  Result<Job> job_retry(JobId id, Timestamp now) override { return inner_->job_retry(id, now); }
  Result<Job> job_get(JobId id) override { return inner_->job_get(id); }
  Result<std::vector<Job>> job_list(const JobFilter& f) override { return inner_->job_list(f); }
  Result<std::vector<StateCount>> job_count(const JobFilter& f) override { return inner_->job_count(f); }
  Status queue_pause(const std::string& queue, Timestamp now) override {
    return inner_->queue_pause(queue, now);
  }
  Status queue_resume(const std::string& queue, Timestamp now) override {
    return inner_->queue_resume(queue, now);
  }
  Result<std::vector<QueueInfo>> queue_list() override { return inner_->queue_list(); }
  Status runner_register(const RunnerInfo& r) override { return inner_->runner_register(r); }
  Status runner_unregister(const std::string& id) override { return inner_->runner_unregister(id); }
  Result<std::vector<RunnerInfo>> runner_list() override { return inner_->runner_list(); }
  Result<std::uint64_t> data_version() override { return inner_->data_version(); }

 private:
  void record(std::size_t finishes) {
    std::lock_guard lock(mu_);
    finish_writes_.push_back(finishes);
  }

  std::shared_ptr<Engine> inner_;
  mutable std::mutex mu_;
  std::vector<std::size_t> finish_writes_;
};

}  // namespace jobrunner::testing
