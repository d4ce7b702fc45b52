// The scenarios that need more than this process: the sqlite3 floor (its own connection, no
// engine), the shutdown of a real process, and inserts from another process. The children are
// this same binary, started with a first argument of kChildFlag.
#pragma once

#include <filesystem>

#include "bench.h"

namespace jobrunner::bench {

inline constexpr const char* kChildFlag = "--child";

// The claim/complete lifecycle written directly against the sqlite3 C API, on the jobs table of a
// database the durable engine created: n jobs one transaction each, 100 per transaction, and
// --concurrency per transaction (as many as a runner of that concurrency can put in one).
Figures baseline_figures(const Settings& s, std::int64_t n);
// Jobs per second inserting n jobs as insert_jobs() does (batches of kInsertBatch, one transaction each),
// one prepared INSERT a job, straight against the sqlite3 C API into an empty store.
double insert_floor_rate(const Settings& s, std::int64_t n);

// SIGTERM-to-exit of a child process running `concurrency` chunked jobs of 100 ms chunks.
Figures shutdown_once(const Settings& s);

// Starts a child that inserts n jobs into `db` at s.rate per second, and waits for it to end.
void run_inserter(const Settings& s, const std::filesystem::path& db, std::int64_t n);

// The entry point of a child: argv after kChildFlag. Returns the exit code.
int child_main(int argc, char** argv);

}  // namespace jobrunner::bench
