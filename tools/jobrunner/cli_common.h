// What every jobrunner subcommand shares: exit codes, errors, the database path, opening engines.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "jobrunner/engine.h"
#include "jobrunner/sqlite_engine.h"

namespace jobrunner::cli {

// 0 ok; 1 the command could not be done (no such job, busy database; the message says what to do);
// 2 a usage error; 3 the database at --db cannot be used as it is. On 1, 2 and 3 nothing was changed.
// docs/BAD_INPUT.md lists the errors of each kind.
enum ExitCode { kExitOk = 0, kExitRuntime = 1, kExitUsage = 2, kExitDatabase = 3 };

// Bad flags, bad JSON, bad durations, unknown names: exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A --db that is missing (where it is not created), a directory, not writable, not a jobrunner
// database, damaged or of another schema version: exit 3.
struct DatabaseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Anything else that stops a command: exit 1.
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses the command line and runs the chosen command's callback. Returns the exit code, having
// printed any error as "<app name>: <message>" on stderr.
int run_app(CLI::App& app, int argc, char** argv);

// $JOBRUNNER_DB, else ./data/jobrunner.db.
std::string default_db_path();

// Adds the --db option every database command takes, storing into db (which starts as the default).
CLI::Option* add_db_option(CLI::App& command, std::string& db);

// How commits reach the disk: "normal" or "full" (read from `source`, which names it in the error).
// Throws UsageError for anything else.
Synchronous parse_synchronous(const std::string& text, const std::string& source);

// $JOBRUNNER_SYNCHRONOUS, else normal: what every command commits with unless `run --synchronous`
// says otherwise. Throws UsageError when the variable holds anything else.
Synchronous default_synchronous();

// Whether a command may create the database (enqueue, demo, run) or needs one that exists.
enum class Create { no, yes };

// Throws DatabaseError when path names a directory or a special file (a FIFO would block SQLite's
// open); a missing path or a regular file passes.
void check_not_special(const std::string& path);

// Checks, before SQLite sees it, that path can be a database for a command: not a directory or a
// special file; missing or empty only when the command creates it (then its directory is created);
// readable and writable with its directory, since SQLite keeps its -wal and -shm files beside it even
// to read. Throws UsageError for an empty path and DatabaseError otherwise.
void check_database_path(const std::string& path, Create create);

// Opens the durable engine at path after check_database_path. Throws DatabaseError (or RuntimeError)
// with a message that says what to do (migrate, wrong file, permissions).
std::shared_ptr<Engine> open_durable(const std::string& path, Create create, bool migrate = false,
                                     Synchronous synchronous = default_synchronous());

// Parses job args given as text: a JSON object within kMaxArgsBytes and kMaxJsonDepth. Throws
// UsageError otherwise, naming the text as `what`.
json parse_json_object(const std::string& text, const std::string& what);

// Throws UsageError for invalid_argument, DatabaseError for a database that cannot be used (corrupt,
// schema_mismatch, io_error, disk_full) and RuntimeError for the rest, when s is not ok.
void check(const Status& s, const std::string& doing);
template <class T>
T check(Result<T> r, const std::string& doing) {
  check(r.status(), doing);
  return std::move(r).value();
}

}  // namespace jobrunner::cli
