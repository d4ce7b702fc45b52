#include "process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>

namespace jobrunner::detail {

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// Field 22 of /proc/PID/stat: the process start time in clock ticks after boot. The command name
// (field 2) may hold spaces and parentheses, so count from the last ')'.
std::int64_t process_start_time(std::int64_t pid) {
  std::string stat = read_first_line("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::stoll(field);
  }
  return 0;
}

}  // namespace

std::string new_instance_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint32_t> dist;
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", dist(rd));
  return host_name() + "-" + std::to_string(getpid()) + "-" + suffix;
}

RunnerInfo this_process(const std::string& instance_id) {
  RunnerInfo r;
  r.id = instance_id;
  r.host = host_name();
  r.boot_id = read_first_line("/proc/sys/kernel/random/boot_id");
  r.pid = getpid();
  r.pid_start = process_start_time(r.pid);
  return r;
}

bool runner_alive(const RunnerInfo& r) {
  RunnerInfo self = this_process("");
  if (r.host != self.host || r.boot_id.empty()) return true;
  if (r.boot_id != self.boot_id) return false;  // this machine rebooted since
  if (kill(static_cast<pid_t>(r.pid), 0) != 0 && errno == ESRCH) return false;
  return process_start_time(r.pid) == r.pid_start;
}

}  // namespace jobrunner::detail
