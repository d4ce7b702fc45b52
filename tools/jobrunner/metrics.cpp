#include "metrics.h"

#include <spdlog/fmt/fmt.h>

#include <set>

namespace jobrunner::cli {

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void counter(std::string& out, const char* name, const char* help, std::int64_t value) {
  family(out, name, "counter", help);
  out += fmt::format("{} {}\n", name, value);
}

}  // namespace

void Metrics::on_event(const Event& e) {
  std::lock_guard lock(mu_);
  switch (e.kind) {
    case EventKind::job_claimed: claimed_at_[e.job->id] = std::chrono::steady_clock::now(); break;
    case EventKind::job_start: {
      auto it = claimed_at_.find(e.job->id);
      if (it == claimed_at_.end()) break;
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count();
      claimed_at_.erase(it);
      std::size_t bucket = 0;
      while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
      if (bucket < kLatencyBuckets.size()) ++latency_buckets_[bucket];
      ++latency_count_;
      latency_sum_ += seconds;
      break;
    }
    case EventKind::job_stop:
      // A stale outcome was not recorded: the job went back to available and counts when it ends again.
      if (e.stale) break;
      if (e.outcome == Outcome::Kind::ok) ++completed_;
      if (e.outcome == Outcome::Kind::error) ++errored_;
      break;
    case EventKind::job_interrupted:
      if (!e.stale) ++interrupted_;
      break;
    case EventKind::job_released: ++released_; break;
    case EventKind::jobs_rescued: rescued_ += e.count; break;
    case EventKind::checkpoint_saved: ++checkpoints_; break;
    default: break;
  }
}

std::string Metrics::prometheus_text(const std::vector<StateCount>& counts, int executing,
                                     bool draining) const {
  std::string out;
  family(out, "jobrunner_jobs", "gauge", "Jobs in the database by queue and state.");
  std::set<std::string> queues;
  for (const StateCount& c : counts) queues.insert(c.queue);
  // Every state of every queue, zeros included, so that each series exists from the start. Queue
  // names are [A-Za-z0-9_.-]: nothing in them needs escaping in a label.
  for (const std::string& queue : queues) {
    for (JobState state : kAllStates) {
      std::int64_t n = 0;
      for (const StateCount& c : counts) {
        if (c.queue == queue && c.state == state) n = c.count;
      }
      out += fmt::format("jobrunner_jobs{{queue=\"{}\",state=\"{}\"}} {}\n", queue, to_string(state), n);
    }
  }
  family(out, "jobrunner_executing", "gauge", "Jobs executing in this runner now.");
  out += fmt::format("jobrunner_executing {}\n", executing);
  family(out, "jobrunner_draining", "gauge", "1 while the runner is shutting down gracefully.");
  out += fmt::format("jobrunner_draining {}\n", draining ? 1 : 0);

  std::lock_guard lock(mu_);
  counter(out, "jobrunner_jobs_completed_total", "Executions that completed.", completed_);
  counter(out, "jobrunner_jobs_errored_total", "Executions that failed (error or exception).", errored_);
  counter(out, "jobrunner_jobs_interrupted_total",
          "Executions that stopped at a shutdown and saved their checkpoint.", interrupted_);
  counter(out, "jobrunner_jobs_released_total", "Executions still running at the shutdown deadline.",
          released_);
  counter(out, "jobrunner_jobs_rescued_total", "Orphaned jobs put back to available by this runner.",
          rescued_);
  counter(out, "jobrunner_checkpoints_saved_total", "Checkpoints saved by running jobs.", checkpoints_);

  family(out, "jobrunner_claim_to_start_seconds", "histogram",
         "Time from a job's claim to its worker's start.");
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_buckets_[i];
    out += fmt::format("jobrunner_claim_to_start_seconds_bucket{{le=\"{}\"}} {}\n", kLatencyBuckets[i],
                       cumulative);
  }
  out += fmt::format("jobrunner_claim_to_start_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count_);
  out += fmt::format("jobrunner_claim_to_start_seconds_sum {}\n", latency_sum_);
  out += fmt::format("jobrunner_claim_to_start_seconds_count {}\n", latency_count_);
  return out;
}

}  // namespace jobrunner::cli
