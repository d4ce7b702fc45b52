// What every jobrunner subcommand shares: exit codes, errors, the database path, opening engines.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "jobrunner/engine.h"
#include "jobrunner/sqlite_engine.h"

namespace jobrunner::cli {

// 0 ok; 1 a runtime error (the message says what to do); 2 a usage error (nothing was changed).
enum ExitCode { kExitOk = 0, kExitRuntime = 1, kExitUsage = 2 };

// Bad flags, bad JSON, bad durations: exit 2.
struct UsageError : std::runtime_error {
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

// Opens the durable engine at path, creating its directory if missing. Throws RuntimeError with a
// message that says what to do (migrate, wrong file, permissions).
std::shared_ptr<Engine> open_durable(const std::string& path, bool migrate,
                                     Synchronous synchronous = default_synchronous());

// Parses --args: a JSON object. Throws UsageError otherwise.
json parse_json_object(const std::string& text, const std::string& what);

// Throws RuntimeError (or UsageError for invalid_argument) when s is not ok.
void check(const Status& s, const std::string& doing);
template <class T>
T check(Result<T> r, const std::string& doing) {
  check(r.status(), doing);
  return std::move(r).value();
}

}  // namespace jobrunner::cli
