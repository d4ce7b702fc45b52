// Who is running: enough about this process to let another process on the same machine tell, at
// once, whether the runner that holds a lease is still alive (a pid alone is not enough: in a
// container the daemon is pid 1 on every start).
#pragma once

#include <string>

#include "jobrunner/engine.h"

namespace jobrunner::detail {

// A fresh instance id: host, pid and random bits.
std::string new_instance_id();

// This process as a RunnerInfo (without started_at and heartbeat_at).
RunnerInfo this_process(const std::string& instance_id);

// False only when `r` certainly ran on this machine since its last boot and its process is gone
// (or the pid now belongs to another process). A runner on another machine counts as alive: its
// jobs are rescued when their leases expire.
bool runner_alive(const RunnerInfo& r);

}  // namespace jobrunner::detail
