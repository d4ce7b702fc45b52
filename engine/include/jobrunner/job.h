// Job: one unit of work, its life cycle, and what it takes to insert one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobrunner/clock.h"
#include "jobrunner/status.h"

namespace jobrunner {

using json = nlohmann::json;
using JobId = std::int64_t;
using LeaseToken = std::int64_t;

// The states of Oban, with the same meaning:
//   scheduled  waits for scheduled_at            -> available
//   available  ready to run                      -> executing, cancelled
//   executing  claimed under a lease             -> completed, retryable, discarded, cancelled,
//                                                   available (interrupted or rescued), scheduled (snoozed)
//   retryable  failed, waits for its backoff     -> available, cancelled
//   completed, discarded, cancelled: final (a retry by hand puts a job back to available).
enum class JobState { scheduled, available, executing, retryable, completed, discarded, cancelled };

inline constexpr JobState kAllStates[] = {JobState::scheduled, JobState::available, JobState::executing,
                                          JobState::retryable, JobState::completed, JobState::discarded,
                                          JobState::cancelled};

std::string_view to_string(JobState s);
// Parses a state name as to_string() writes it.
Result<JobState> parse_job_state(std::string_view name);
bool is_final(JobState s);

// One failed attempt.
struct JobError {
  int attempt = 0;
  Timestamp at = 0;
  std::string message;

  friend bool operator==(const JobError&, const JobError&) = default;
};

// How far a job has got, as the worker reports it with each checkpoint.
struct Progress {
  std::int64_t done = 0;
  std::int64_t total = 0;

  friend bool operator==(const Progress&, const Progress&) = default;
};

// Held by the runner that executes a job. Every write on the job's behalf names the token; a write
// whose token is no longer the job's changes nothing (it is "stale").
struct Lease {
  std::string owner;  // the runner instance id
  LeaseToken token = 0;
  Timestamp expires_at = 0;

  friend bool operator==(const Lease&, const Lease&) = default;
};

struct Job {
  JobId id = 0;
  std::string queue;
  std::string worker;
  json args = json::object();
  JobState state = JobState::available;
  int priority = 0;  // 0 runs first ... 9 runs last; FIFO within a priority
  int attempt = 0;   // attempts started that counted (an interruption gives its attempt back)
  int max_attempts = 20;
  Timestamp inserted_at = 0;
  Timestamp scheduled_at = 0;
  std::optional<Timestamp> attempted_at;
  std::optional<Timestamp> finished_at;
  std::vector<JobError> errors;
  json meta = json::object();
  std::vector<std::string> tags;
  json checkpoint;  // null until the worker saves one
  std::optional<Progress> progress;
  json result;  // recorded on completion (null otherwise)
  std::optional<std::string> unique_key;
  std::optional<Lease> lease;  // set while executing
};

// Which earlier jobs make a new one a duplicate.
struct UniqueOptions {
  // An explicit key; when empty the key is worker + queue + args.
  std::string key;
  // A duplicate must have been inserted within this period; zero means at any time.
  Millis period{0};
  // A duplicate must be in one of these states.
  std::vector<JobState> states{JobState::scheduled, JobState::available, JobState::executing,
                               JobState::retryable, JobState::completed};
};

// What to insert. Empty queue, zero max_attempts and a missing priority are filled from the
// worker's defaults by the Runner (or the command line) before they reach an engine.
struct NewJob {
  std::string worker;
  json args = json::object();
  std::string queue;
  std::optional<int> priority;
  int max_attempts = 0;
  std::optional<Timestamp> scheduled_at;  // none: run now
  json meta = json::object();
  std::vector<std::string> tags;
  std::optional<UniqueOptions> unique;
};

// Limits on a job's args and meta. Deeper JSON could exhaust the stack of the code that copies,
// compares or serializes it (nlohmann's recursion); bigger args slow every read of the job.
inline constexpr std::size_t kMaxArgsBytes = 1 << 20;  // of compact JSON text (json::dump())
inline constexpr int kMaxJsonDepth = 128;              // arrays and objects inside one another

// Returns ok or what is wrong with `job` as an engine would receive it: worker and queue names,
// priority 0-9, max_attempts >= 1, args a JSON object, args and meta within the limits above.
Status validate(const NewJob& job);
// Ok, or why `value` is too deep (checked first, without recursion) or too big to store as a job's
// `what` ("args", "meta").
Status check_json_limits(const json& value, std::string_view what);
// Whether every string and object key in `value` is valid UTF-8, as JSON text must be (json::dump()
// throws otherwise). Walks the value without recursion, so any depth is safe.
bool all_utf8(const json& value);
// A queue name: 1-64 characters of [A-Za-z0-9_.-].
bool valid_queue_name(std::string_view name);
// The key a unique job is stored under (a stable hash of the explicit key, or of worker+queue+args).
std::string unique_key_for(const NewJob& job);

}  // namespace jobrunner
