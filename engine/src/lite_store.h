// LiteStore: the lite engine's jobs in memory, with the indexes that keep its hot queries cheap.
//
// Claims take the first entry of a per-queue ordered set, staging walks a set ordered by time and
// pruning another, so none of them slows down as waiting or finished jobs pile up. The store keeps
// its indexes in step with every change made through update(); it does no locking of its own.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "jobrunner/job.h"

namespace jobrunner::lite {

// Available jobs in claim order: priority, scheduled_at, id.
using ClaimKey = std::tuple<int, Timestamp, JobId>;
// Jobs waiting for a time (scheduled, retryable) or ordered by when they finished (final).
using TimeKey = std::pair<Timestamp, JobId>;

struct Queue {
  bool paused = false;
  bool named = false;  // paused or resumed at least once, so listed even with no jobs
  std::array<std::int64_t, std::size(kAllStates)> counts{};  // jobs by state
  std::set<ClaimKey> available;
};

using QueueMap = std::map<std::string, Queue, std::less<>>;

// The fields most waiting jobs do not have yet. A job allocates them only once it needs one, so a
// large backlog of plain jobs stays small.
struct JobExtras {
  json meta = json::object();
  std::vector<std::string> tags;
  std::vector<JobError> errors;
  json checkpoint;
  std::optional<Progress> progress;
  json result;
  const std::string* unique_key = nullptr;  // the key as held by the store's unique index
  std::optional<Lease> lease;
};

struct StoredJob {
  JobId id = 0;
  QueueMap::value_type* queue = nullptr;
  const std::string* worker = nullptr;  // interned: jobs of one worker share the name
  // Kept parsed: copying it for a claim costs a small part of parsing it again, for some more bytes
  // of memory per job.
  json args;
  JobState state = JobState::available;
  int priority = 0;
  int attempt = 0;
  int max_attempts = 0;
  Timestamp inserted_at = 0;
  Timestamp scheduled_at = 0;
  std::optional<Timestamp> attempted_at;
  std::optional<Timestamp> finished_at;
  std::unique_ptr<JobExtras> extras;

  // The extras, allocated on first use.
  JobExtras& more();
};

class LiteStore {
 public:
  // Stores a new job, scheduled when job.scheduled_at is after now and available otherwise.
  // REQUIRES: validate(job) is ok.
  StoredJob& insert(const NewJob& job, const std::optional<std::string>& unique_key, Timestamp now);
  // Forgets a job.
  void erase(StoredJob& job);

  // Null when there is no such job.
  StoredJob* find(JobId id);
  // The newest job stored under `key` that makes a new job with these options a duplicate.
  StoredJob* find_duplicate(const std::string& key, const UniqueOptions& unique, Timestamp now);

  // Applies change(job), keeping every index in step with the job's new state and times.
  template <class Change>
  void update(StoredJob& job, Change&& change) {
    track(job, false);
    std::forward<Change>(change)(job);
    track(job, true);
  }

  Job to_job(const StoredJob& job) const;

  // The queue with this name, created when missing.
  Queue& queue(const std::string& name);
  // Null when no job or call has named this queue.
  const Queue* find_queue(std::string_view name) const;

  const std::map<JobId, StoredJob>& jobs() const { return jobs_; }
  const QueueMap& queues() const { return queues_; }
  // Scheduled and retryable jobs by scheduled_at.
  const std::set<TimeKey>& waiting() const { return waiting_; }
  // Final jobs by finished_at.
  const std::set<TimeKey>& finished() const { return finished_; }
  const std::set<JobId>& executing() const { return executing_; }

 private:
  // Adds the job to (or removes it from) the indexes its state puts it in.
  void track(const StoredJob& job, bool add);

  JobId next_id_ = 1;
  std::map<JobId, StoredJob> jobs_;
  QueueMap queues_;
  std::set<std::string, std::less<>> workers_;
  std::map<std::string, std::set<JobId>, std::less<>> unique_;
  std::set<TimeKey> waiting_;
  std::set<TimeKey> finished_;
  std::set<JobId> executing_;
};

}  // namespace jobrunner::lite
