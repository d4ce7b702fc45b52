// Jobs as JSON lines, to move work between databases: what `jobrunner-migrate export` writes and
// `import` reads. One object per job holds every column but the lease (which belongs to a process
// of the database the job leaves); JSON columns are JSON values, not strings.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "jobrunner/status.h"

namespace SQLite {
class Database;
}

namespace jobrunner {

// Writes every job, oldest first, one JSON object per line. Returns how many.
Result<std::int64_t> export_job_lines(SQLite::Database& db, std::ostream& out);

// Inserts one job per non-empty line, in one transaction: on any error (which names the line)
// nothing is inserted. Jobs get new ids; an executing job comes back available.
Result<std::int64_t> import_job_lines(SQLite::Database& db, std::istream& in);

}  // namespace jobrunner
