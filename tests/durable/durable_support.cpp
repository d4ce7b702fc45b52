#include "durable_support.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace jobrunner::testing {

namespace {

constexpr const char* kGateVar = "JOBRUNNER_TEST_START_FD";

}  // namespace

std::shared_ptr<Engine> open_durable_engine(const std::string& path, bool migrate) {
  auto engine =
      open_sqlite_engine(SqliteOptions{.path = path, .busy_timeout = Millis(60'000), .migrate = migrate});
  INFO(engine.status().to_string());
  REQUIRE(engine.is_ok());
  return *engine;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string query_plan(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, "EXPLAIN QUERY PLAN " + sql);
  std::string plan;
  while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
  return plan;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

pid_t spawn_test_case(const std::string& test_name, const std::map<std::string, std::string>& vars,
                      const std::string& log) {
  // Everything the child needs is built before fork(): between fork() and exec() it may only make
  // async-signal-safe calls.
  std::vector<std::string> args{"durable_tests", test_name, "--out", log};
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  for (const auto& [name, value] : vars) environment.push_back(name + "=" + value);
  auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (std::string& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(environment);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execve("/proc/self/exe", argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

StartGate::StartGate() {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  // Only the parent may hold the write end, or a child would never see the gate open.
  REQUIRE(fcntl(write_fd_, F_SETFD, FD_CLOEXEC) == 0);
}

StartGate::~StartGate() {
  open();
  close(read_fd_);
}

std::pair<std::string, std::string> StartGate::var() const { return {kGateVar, std::to_string(read_fd_)}; }

void StartGate::open() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

void wait_at_start_gate() {
  const std::string fd = env(kGateVar);
  if (fd.empty()) return;
  char c;
  while (read(std::stoi(fd), &c, 1) > 0) {
  }
}

}  // namespace jobrunner::testing
