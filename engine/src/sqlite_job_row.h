// How a Job is laid out in the jobs table: the columns selected and how a row becomes a Job.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>

#include <string>

#include "jobrunner/job.h"

namespace jobrunner {

// The columns of jobs in the order read_job() reads them, for SELECT and RETURNING clauses.
// Inline, so that it is initialised before the queries in sqlite_queries.h built from it.
inline const std::string kJobColumns =
    "id, queue, worker, args, state, priority, attempt, max_attempts, inserted_at, scheduled_at, "
    "attempted_at, "
    "finished_at, errors, meta, tags, checkpoint, progress_done, progress_total, result, unique_key, "
    "lease_owner, lease_token, lease_expires_at";

// The Job in the current row of a statement that selected kJobColumns first.
// Throws nlohmann::json::exception when a stored JSON column does not parse.
Job read_job(SQLite::Statement& row);

// JSON as stored: compact text. Invalid UTF-8 in strings is replaced rather than thrown on, so
// whatever a worker hands over can be stored.
std::string json_text(const json& j);

// JSON text for a column that holds null as SQL NULL (checkpoint, result).
void bind_nullable_json(SQLite::Statement& s, const char* name, const json& j);

}  // namespace jobrunner
