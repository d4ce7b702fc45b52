// SqliteEngine: the durable Engine, one SQLite file in WAL mode.
//
// Jobs, attempts, errors, checkpoints and results survive a restart. Several processes may open
// one file (a daemon and `jobrunner enqueue` from another shell). Every write of an engine goes
// through one connection, in turn, inside BEGIN IMMEDIATE; each reading thread has a connection
// of its own; the WAL is checkpointed on a thread of the engine's, outside any commit. The schema
// comes only from the numbered migrations in migrations/, embedded in the binary.
#pragma once

#include <memory>
#include <string>

#include "jobrunner/engine.h"

namespace jobrunner {

enum class Synchronous { normal, full };

struct SqliteOptions {
  // The database file. Its directory must exist.
  std::string path;
  // NORMAL survives a process crash; FULL also survives power loss, at the cost of a sync per commit.
  Synchronous synchronous = Synchronous::normal;
  // How long a connection waits for another process's write lock before reporting busy.
  Millis busy_timeout{5'000};
  // Apply pending migrations at open. A new, empty database is always brought to the latest
  // schema; an existing one with an older schema is refused unless this is set.
  bool migrate = false;
};

// Opens (creating if missing) the database at options.path.
// Returns corrupt when the file is not a jobrunner database, schema_mismatch when its schema is
// newer than this build or older and migrate is false, io_error when it cannot be opened.
Result<std::shared_ptr<Engine>> open_sqlite_engine(const SqliteOptions& options);

}  // namespace jobrunner
