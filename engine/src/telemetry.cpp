#include "jobrunner/telemetry.h"

#include <algorithm>

namespace jobrunner {

std::string_view to_string(EventKind k) {
  switch (k) {
    case EventKind::job_claimed: return "job_claimed";
    case EventKind::job_start: return "job_start";
    case EventKind::job_stop: return "job_stop";
    case EventKind::job_exception: return "job_exception";
    case EventKind::job_interrupted: return "job_interrupted";
    case EventKind::job_released: return "job_released";
    case EventKind::job_stale: return "job_stale";
    case EventKind::checkpoint_saved: return "checkpoint_saved";
    case EventKind::jobs_rescued: return "jobs_rescued";
    case EventKind::jobs_staged: return "jobs_staged";
    case EventKind::jobs_pruned: return "jobs_pruned";
    case EventKind::runner_started: return "runner_started";
    case EventKind::runner_draining: return "runner_draining";
    case EventKind::runner_stopped: return "runner_stopped";
  }
  return "unknown";
}

int Telemetry::subscribe(Handler h) {
  std::lock_guard lock(mu_);
  handlers_.emplace_back(next_, std::move(h));
  return next_++;
}

void Telemetry::unsubscribe(int handle) {
  std::lock_guard lock(mu_);
  std::erase_if(handlers_, [&](const auto& p) { return p.first == handle; });
}

void Telemetry::emit(const Event& e) const {
  std::shared_lock lock(mu_);
  for (const auto& [handle, h] : handlers_) h(e);
}

}  // namespace jobrunner
