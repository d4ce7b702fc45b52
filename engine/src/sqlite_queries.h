// The durable engine's SQL, in one place, so that tests can ask SQLite how it runs each query.
// Parameters are named; a job's columns come back in kJobColumns order (see read_job()).
#pragma once

#include <string>

#include "sqlite_job_row.h"

namespace jobrunner::sql {

inline const std::string kSelectJob = "SELECT " + kJobColumns + " FROM jobs WHERE id = :id";

// No RETURNING: the new row is exactly what was bound, so the engine builds the Job itself.
inline const std::string kInsertJob =
    "INSERT INTO jobs (queue, worker, args, state, priority, max_attempts, inserted_at, scheduled_at, meta, "
    "tags, "
    "unique_key) VALUES (:queue, :worker, :args, :state, :priority, :max_attempts, :now, :scheduled_at, "
    ":meta, "
    ":tags, :unique_key)";

// Up to this many jobs go in one INSERT: one statement per row costs SQLite more than the row
// (opening a cursor on the table and on each index) when a batch is inserted.
inline constexpr std::size_t kRowsPerInsert = 50;

// An INSERT of `rows` jobs without a unique key, ten positional parameters a row in the order
// queue, worker, args, state, priority, max_attempts, now, scheduled_at, meta, tags.
// REQUIRES: 1 <= rows <= kRowsPerInsert.
const std::string& insert_jobs(std::size_t rows);

inline const std::string kFindDuplicate =
    "SELECT " + kJobColumns +
    " FROM jobs WHERE unique_key = :key AND inserted_at > :since"
    " AND state IN (SELECT value FROM json_each(:states)) ORDER BY id LIMIT 1";

// The inner SELECT walks jobs_claim in order and stops after :limit rows; the pause check is part
// of the same statement so that a pause committed before the claim is always seen.
inline const std::string kClaimCandidates =
    "SELECT id FROM jobs WHERE state = 'available' AND queue = :queue ORDER BY priority, scheduled_at, id"
    " LIMIT :limit";
inline const std::string kClaim =
    "UPDATE jobs SET state = 'executing', attempt = attempt + 1, attempted_at = :now, lease_owner = :owner,"
    " lease_token = :token, lease_expires_at = :expires WHERE id IN (" +
    kClaimCandidates +
    ") AND NOT EXISTS (SELECT 1 FROM queues WHERE name = :queue AND paused = 1) RETURNING " + kJobColumns;

inline const std::string kFence = " WHERE id = :id AND state = 'executing' AND lease_token = :token";
inline const std::string kClearLease = "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL";
// :entry is {"at", "message"} as JSON text; the attempt comes from the row being updated.
inline const std::string kAppendError =
    "errors = json_insert(errors, '$[#]', json_set(json(:entry), '$.attempt', attempt))";

inline const std::string kComplete =
    "UPDATE jobs SET state = 'completed', finished_at = :now, result = :result, " + kClearLease + kFence;
inline const std::string kError =
    "UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'retryable' END,"
    " scheduled_at = CASE WHEN attempt >= max_attempts THEN scheduled_at ELSE :at END,"
    " finished_at = CASE WHEN attempt >= max_attempts THEN :now END, " +
    kAppendError + ", " + kClearLease + kFence;
inline const std::string kEnd =
    "UPDATE jobs SET state = :state, finished_at = :now, " + kAppendError + ", " + kClearLease + kFence;
inline const std::string kSnooze =
    "UPDATE jobs SET state = 'scheduled', scheduled_at = :at, attempt = attempt - 1, " + kClearLease + kFence;
inline const std::string kInterrupt =
    "UPDATE jobs SET state = 'available', scheduled_at = :now, attempt = attempt - 1, " + kClearLease +
    kFence;

inline const std::string kCheckpoint =
    "UPDATE jobs SET checkpoint = :checkpoint, progress_done = :done, progress_total = :total" + kFence;

inline const std::string kRenew =
    "UPDATE jobs SET lease_expires_at = :expires WHERE id = :id AND state = 'executing' AND lease_token = "
    ":token"
    " AND lease_owner = :owner";

inline const std::string kStage =
    "UPDATE jobs SET state = 'available' WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= :now";

inline const std::string kOrphans =
    "SELECT id, attempt, max_attempts, lease_owner, lease_expires_at FROM jobs WHERE state = 'executing'"
    " AND (lease_expires_at <= :now OR lease_owner IN (SELECT value FROM json_each(:dead)))";
inline const std::string kRescue =
    "UPDATE jobs SET state = 'available', " + kAppendError + ", " + kClearLease + " WHERE id = :id";
inline const std::string kRescueDiscard = "UPDATE jobs SET state = 'discarded', finished_at = :now, " +
                                          kAppendError + ", " + kClearLease + " WHERE id = :id";

inline const std::string kPruneCandidates =
    "SELECT id FROM jobs WHERE state IN ('completed', 'discarded', 'cancelled') AND finished_at < :before"
    " ORDER BY finished_at LIMIT :limit";
inline const std::string kPrune = "DELETE FROM jobs WHERE id IN (" + kPruneCandidates + ")";

inline const std::string kCancel = "UPDATE jobs SET state = 'cancelled', finished_at = :now, " + kClearLease +
                                   " WHERE id = :id RETURNING " + kJobColumns;
inline const std::string kRetry =
    "UPDATE jobs SET state = 'available', scheduled_at = :now, finished_at = NULL,"
    " max_attempts = max(max_attempts, attempt + 1) WHERE id = :id RETURNING " +
    kJobColumns;

inline const std::string kQueueSet =
    "INSERT INTO queues (name, paused, updated_at) VALUES (:name, :paused, :now)"
    " ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at";
inline const std::string kQueueList =
    "SELECT name, paused FROM queues"
    " UNION ALL SELECT DISTINCT queue, 0 FROM job_counts WHERE n > 0 AND queue NOT IN (SELECT name FROM "
    "queues)"
    " ORDER BY 1";

inline const std::string kRunnerRegister =
    "INSERT INTO runners (id, host, boot_id, pid, pid_start, started_at, heartbeat_at)"
    " VALUES (:id, :host, :boot_id, :pid, :pid_start, :started_at, :heartbeat_at)"
    " ON CONFLICT (id) DO UPDATE SET host = excluded.host, boot_id = excluded.boot_id, pid = excluded.pid,"
    " pid_start = excluded.pid_start, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at";
inline const std::string kRunnerUnregister = "DELETE FROM runners WHERE id = :id";
inline const std::string kRunnerList =
    "SELECT id, host, boot_id, pid, pid_start, started_at, heartbeat_at FROM runners ORDER BY id";

}  // namespace jobrunner::sql
