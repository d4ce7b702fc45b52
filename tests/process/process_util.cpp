#include "process/process_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace jobrunner::testing {

namespace {

void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// The inherited environment with env applied, built before fork: the child of a threaded process
// may only make async-signal-safe calls, which setenv is not.
std::vector<std::string> environment_with(const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!env.contains(std::string(entry.substr(0, entry.find('='))))) out.emplace_back(entry);
  }
  for (const auto& [name, value] : env) {
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ExitStatus decode(int status) {
  if (WIFSIGNALED(status)) return {-1, WTERMSIG(status)};
  return {WEXITSTATUS(status), 0};
}

}  // namespace

Process::Process(std::vector<std::string> argv,
                 const std::map<std::string, std::optional<std::string>>& env) {
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe2");
  std::vector<std::string> environment = environment_with(env);
  std::vector<char*> args = pointers(argv);
  std::vector<char*> envp = pointers(environment);
  pid_ = fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  reader_ = std::thread([this, o = out[0], e = err[0]] { read_output(o, e); });
}

Process::~Process() {
  if (!exit_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  reader_.join();
}

void Process::signal(int sig) const {
  if (!exit_ && kill(pid_, sig) != 0) throw_errno("kill");
}

void Process::read_output(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::lock_guard lock(mu_);
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

std::optional<ExitStatus> Process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (exit_) return exit_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // waitpid cannot wait with a timeout; the output closing is the usual sign of the end, and a
  // short poll covers a process that closed its output early.
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_ = decode(status);
      return exit_;
    }
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, 5ms);
  }
}

bool Process::wait_for_text(std::string Process::*stream, std::string_view text,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return (this->*stream).find(text) != std::string::npos || closed_;
  }) && (this->*stream).find(text) != std::string::npos;
}

bool Process::wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for_text(&Process::out_, text, timeout);
}

bool Process::wait_for_stderr(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for_text(&Process::err_, text, timeout);
}

bool Process::wait_for_output_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return closed_; });
}

std::string Process::out() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Process::err() const {
  std::lock_guard lock(mu_);
  return err_;
}

Completed run_process(std::vector<std::string> argv,
                      const std::map<std::string, std::optional<std::string>>& env,
                      std::chrono::milliseconds timeout) {
  Process p(std::move(argv), env);
  auto status = p.wait_for_exit(timeout);
  if (!status) {
    p.signal(SIGKILL);
    status = p.wait_for_exit(timeout);
  }
  p.wait_for_output_closed(timeout);
  return {status.value_or(ExitStatus{}), p.out(), p.err()};
}

}  // namespace jobrunner::testing
