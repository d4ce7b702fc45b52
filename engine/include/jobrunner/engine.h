// Engine: the one seam between execution and storage.
//
// Two implementations behave the same: LiteEngine (in memory) and SqliteEngine (durable, one SQLite
// file). Methods are named noun first and take one params struct. An engine is safe to call from
// many threads at once. Writes made on behalf of a running job (checkpoint, finish) are fenced by
// the lease token: when the token is no longer the job's they change nothing and return stale_lease.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "jobrunner/job.h"

namespace SQLite {
class Database;
}

namespace jobrunner {

struct InsertResult {
  Job job;
  bool duplicate = false;  // an existing job matched the unique options; nothing was inserted
};

struct JobClaimParams {
  std::string queue;
  int limit = 1;
  std::string owner;  // the claiming runner's instance id
  Timestamp now = 0;
  Millis lease_duration{30'000};
};

// The ways an execution ends. Each worker outcome maps to exactly one.
enum class FinishKind {
  complete,   // -> completed, with result
  error,      // -> retryable at scheduled_at, or discarded when attempts are spent; records message
  discard,    // -> discarded; records message
  cancel,     // -> cancelled; records message
  snooze,     // -> scheduled at scheduled_at; the attempt is given back
  interrupt,  // -> available now, keeping the checkpoint; the attempt is given back
};

struct JobFinishParams {
  JobId id = 0;
  LeaseToken token = 0;
  FinishKind kind = FinishKind::complete;
  Timestamp now = 0;
  json result;                 // complete
  std::string message;         // error, discard, cancel
  Timestamp scheduled_at = 0;  // error (retry time), snooze
};

// A handle on the transaction that saves a checkpoint. In a durable engine sqlite() is the
// connection inside the open transaction; a worker's own writes through it commit or roll back
// with the checkpoint. In the lite engine sqlite() is null.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual SQLite::Database* sqlite() = 0;
};

// What job_finish_and_claim did: one Status per finish, one claim result per claim, in order.
struct FinishClaimResult {
  std::vector<Status> finished;
  std::vector<Result<std::vector<Job>>> claimed;
};

struct JobCheckpointParams {
  JobId id = 0;
  LeaseToken token = 0;
  Timestamp now = 0;
  json checkpoint;
  std::optional<Progress> progress;
  // Runs inside the checkpoint's transaction; an exception from it rolls everything back.
  std::function<void(Transaction&)> in_transaction;
};

struct JobLeaseRenewParams {
  std::string owner;
  std::vector<std::pair<JobId, LeaseToken>> jobs;
  Timestamp expires_at = 0;
};

struct JobRescueParams {
  Timestamp now = 0;
  // Runner instances known to be gone: their executing jobs are rescued whatever their lease says.
  std::vector<std::string> dead_owners;
};

struct RescueCounts {
  std::int64_t rescued = 0;    // back to available, the attempt spent
  std::int64_t discarded = 0;  // orphaned with no attempts left
};

struct JobPruneParams {
  Timestamp finished_before = 0;  // completed, discarded and cancelled jobs finished before this go
  int limit = 10'000;
};

struct JobFilter {
  std::vector<JobState> states;  // empty: any
  std::string queue;             // empty: any
  std::string worker;            // empty: any
  int limit = 100;
  bool newest_first = true;
};

struct StateCount {
  std::string queue;
  JobState state = JobState::available;
  std::int64_t count = 0;
};

struct QueueInfo {
  std::string name;
  bool paused = false;
};

// A runner instance, registered while it runs so that others can tell whether its jobs are orphans.
struct RunnerInfo {
  std::string id;
  std::string host;
  std::string boot_id;
  std::int64_t pid = 0;
  std::int64_t pid_start = 0;  // the process start time, to tell a reused pid apart
  Timestamp started_at = 0;
  Timestamp heartbeat_at = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // "lite" or "durable".
  virtual std::string_view name() const = 0;

  // Whether every write pays for a commit to storage, however little it holds. The runner then
  // gathers the ends of runs into shared writes (group commit); to an engine whose writes cost only
  // the work in them (lite: a few microseconds, less than a thread switch), each executor writes
  // its own.
  virtual bool commits_to_storage() const = 0;

  // Inserts a job, or returns the existing one when job.unique matches one (duplicate = true).
  // REQUIRES: validate(job) is ok; the worker's defaults are filled in. Returns invalid_argument
  // otherwise, having stored nothing.
  virtual Result<InsertResult> job_insert(const NewJob& job, Timestamp now) = 0;
  // Inserts all jobs in one transaction: all are stored or none.
  virtual Result<std::vector<InsertResult>> job_insert_many(std::span<const NewJob> jobs, Timestamp now) = 0;

  // Claims up to limit available jobs of a queue, priority first then oldest scheduled_at then id:
  // each becomes executing, attempt + 1, attempted_at = now, leased to owner. Claims nothing while
  // the queue is paused. Two claims never return the same job.
  virtual Result<std::vector<Job>> job_claim(const JobClaimParams& p) = 0;

  // Ends executions, all in one transaction (group commit). Returns one Status per item: ok, or
  // stale_lease when the job no longer holds that token (nothing changed for that item).
  virtual std::vector<Status> job_finish(std::span<const JobFinishParams> items) = 0;

  // Ends executions and claims more jobs, as job_finish then job_claim for each of claims would.
  // A store with transactions does it all in one, so that a busy runner pays a single commit to
  // hand back finished jobs and take the next ones; when that transaction fails, nothing is
  // written and every finish and claim reports the failure. The default makes the separate calls.
  virtual FinishClaimResult job_finish_and_claim(std::span<const JobFinishParams> finishes,
                                                 std::span<const JobClaimParams> claims);

  // Saves checkpoint and progress (and runs in_transaction) atomically, fenced by the token.
  virtual Status job_checkpoint(const JobCheckpointParams& p) = 0;

  // Extends the leases of jobs still held by owner with those tokens. Returns the ids whose lease
  // is lost (cancelled, rescued, finished elsewhere): their executions must stop.
  virtual Result<std::vector<JobId>> job_lease_renew(const JobLeaseRenewParams& p) = 0;

  // Makes scheduled and retryable jobs whose time has come available. Returns how many.
  virtual Result<std::int64_t> job_stage(Timestamp now) = 0;

  // Puts executing jobs whose lease has expired, or whose owner is dead, back to available,
  // spending the attempt; those with no attempts left are discarded with an error that says so.
  virtual Result<RescueCounts> job_rescue(const JobRescueParams& p) = 0;

  // Deletes final jobs finished before p.finished_before, at most p.limit. Returns how many.
  virtual Result<std::int64_t> job_prune(const JobPruneParams& p) = 0;

  // Cancels a job that is not final. An executing job loses its lease (its runner is told through
  // job_lease_renew). Returns the job as it is now; conflict if it was already final.
  virtual Result<Job> job_cancel(JobId id, Timestamp now) = 0;

  // Puts a job that is not available or executing back to available now; when its attempts are
  // spent it gets one more. Returns the job as it is now; conflict if it is available or executing.
  virtual Result<Job> job_retry(JobId id, Timestamp now) = 0;

  virtual Result<Job> job_get(JobId id) = 0;
  virtual Result<std::vector<Job>> job_list(const JobFilter& f) = 0;
  // Counts by queue and state (limit is ignored). States with no jobs are left out.
  virtual Result<std::vector<StateCount>> job_count(const JobFilter& f) = 0;

  virtual Status queue_pause(const std::string& queue, Timestamp now) = 0;
  virtual Status queue_resume(const std::string& queue, Timestamp now) = 0;
  // Every queue that has jobs or has been paused or resumed.
  virtual Result<std::vector<QueueInfo>> queue_list() = 0;

  virtual Status runner_register(const RunnerInfo& r) = 0;  // insert or update
  virtual Status runner_unregister(const std::string& id) = 0;
  virtual Result<std::vector<RunnerInfo>> runner_list() = 0;

  // A number that changes when another process has written to the store (PRAGMA data_version).
  // A store no other process can write (lite) returns a constant.
  virtual Result<std::uint64_t> data_version() = 0;
};

}  // namespace jobrunner
