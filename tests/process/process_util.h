// Process: a real program run by a test (the jobrunner binary, usually), with its stdout and stderr
// captured, signals sent to its pid, and waits that end at a deadline instead of sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace jobrunner::testing {

using namespace std::chrono_literals;

// How a process ended.
struct ExitStatus {
  int code = -1;   // the exit code, or -1 when a signal ended it
  int signal = 0;  // the signal that ended it, or 0

  bool exited_with(int c) const { return signal == 0 && code == c; }
};

class Process {
 public:
  // Starts argv[0] (a path) with argv, and env added to (or replacing in) the inherited
  // environment; a value of nullopt removes the variable. Stdin is /dev/null. Throws
  // std::system_error when it cannot fork; a program that cannot be executed exits with 127.
  explicit Process(std::vector<std::string> argv,
                   const std::map<std::string, std::optional<std::string>>& env = {});
  // Kills the process (SIGKILL) if it still runs, and reaps it.
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) const;

  // Waits for the process to end. Returns none when it still runs at the deadline.
  std::optional<ExitStatus> wait_for_exit(std::chrono::milliseconds timeout);

  // Waits until stdout (or stderr) holds `text`. Returns false at the deadline or when the process
  // has closed its output without writing it.
  bool wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout);
  bool wait_for_stderr(std::string_view text, std::chrono::milliseconds timeout);

  // Waits until the process has closed stdout and stderr (it has ended, usually). Returns false at
  // the deadline.
  bool wait_for_output_closed(std::chrono::milliseconds timeout);

  // Everything captured so far.
  std::string out() const;
  std::string err() const;

 private:
  bool wait_for_text(std::string Process::*stream, std::string_view text,
                     std::chrono::milliseconds timeout);
  void read_output(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string out_;
  std::string err_;
  bool closed_ = false;
  std::thread reader_;
};

// The result of a program run to its end.
struct Completed {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a program to its end (killing it after timeout, which fails the status).
Completed run_process(std::vector<std::string> argv,
                      const std::map<std::string, std::optional<std::string>>& env = {},
                      std::chrono::milliseconds timeout = 30s);

}  // namespace jobrunner::testing
