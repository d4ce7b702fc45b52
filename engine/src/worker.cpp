#include "jobrunner/worker.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

namespace jobrunner {

std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::none: return "none";
    case StopReason::shutdown: return "shutdown";
    case StopReason::timeout: return "timeout";
    case StopReason::cancel: return "cancel";
    case StopReason::lease_lost: return "lease_lost";
  }
  return "unknown";
}

std::string_view to_string(Outcome::Kind k) {
  switch (k) {
    case Outcome::Kind::ok: return "ok";
    case Outcome::Kind::error: return "error";
    case Outcome::Kind::discard: return "discard";
    case Outcome::Kind::cancel: return "cancel";
    case Outcome::Kind::snooze: return "snooze";
    case Outcome::Kind::interrupted: return "interrupted";
  }
  return "unknown";
}

Millis default_backoff(int attempt) {
  constexpr double kDay = 24.0 * 3600 * 1000;
  double base = 15'000.0 + 1000.0 * std::pow(2.0, std::clamp(attempt, 0, 30));
  base = std::min(base, kDay);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  return Millis(static_cast<std::int64_t>(base * jitter(rng)));
}

void WorkerRegistry::add(std::string name, std::shared_ptr<const Worker> worker) {
  assert(worker != nullptr);
  bool inserted = workers_.emplace(std::move(name), std::move(worker)).second;
  assert(inserted && "worker registered twice");
  (void)inserted;
}

const Worker* WorkerRegistry::find(const std::string& name) const {
  auto it = workers_.find(name);
  return it == workers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> WorkerRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, worker] : workers_) out.push_back(name);
  return out;
}

NewJob WorkerRegistry::with_defaults(NewJob job) const {
  WorkerOptions defaults;
  if (const Worker* w = find(job.worker)) defaults = w->options();
  if (job.queue.empty()) job.queue = defaults.queue;
  if (!job.priority) job.priority = defaults.priority;
  if (job.max_attempts == 0) job.max_attempts = defaults.max_attempts;
  if (!job.unique && defaults.unique) job.unique = defaults.unique;
  return job;
}

}  // namespace jobrunner
