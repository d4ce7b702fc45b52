// What the durable-engine tests share: opening an engine that must open, reading a file's bytes,
// asking SQLite for a query plan, and running this test binary again as another process.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "jobrunner/engine.h"
#include "jobrunner/sqlite_engine.h"

namespace SQLite {
class Database;
}

namespace jobrunner::testing {

// Opens the durable engine at path, failing the test case when it does not open.
std::shared_ptr<Engine> open_durable_engine(const std::string& path, bool migrate = false);

// The file's whole content.
std::string file_bytes(const std::string& path);

// EXPLAIN QUERY PLAN of sql (its parameters left unbound), one detail line per plan step.
std::string query_plan(SQLite::Database& db, const std::string& sql);

// The value of an environment variable; empty when unset.
std::string env(const char* name);

// Starts this test binary again as a separate process that runs only the (hidden) test case
// `test_name`, with `vars` added to its environment and its report written to `log`.
pid_t spawn_test_case(const std::string& test_name, const std::map<std::string, std::string>& vars,
                      const std::string& log);

// Waits for a process started by spawn_test_case. Returns its exit status (-1 when killed).
int wait_for_exit(pid_t pid);

// A gate for processes started by spawn_test_case: each blocks in wait_at_start_gate() until
// open() is called, so that they all begin their work together.
class StartGate {
 public:
  StartGate();
  ~StartGate();
  StartGate(const StartGate&) = delete;
  StartGate& operator=(const StartGate&) = delete;

  // The environment variable that hands the gate to a spawned process.
  std::pair<std::string, std::string> var() const;
  void open();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// In a spawned process: returns once the parent's StartGate opens (at once when there is none).
void wait_at_start_gate();

}  // namespace jobrunner::testing
