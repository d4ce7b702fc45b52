// Metrics: what /metrics reports, counted from the runner's telemetry events, plus the job counts
// by queue and state that the engine holds (read when the metrics are scraped).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "jobrunner/engine.h"
#include "jobrunner/telemetry.h"

namespace jobrunner::cli {

class Metrics {
 public:
  // The upper bounds (seconds) of the claim-to-start histogram's buckets.
  static constexpr std::array<double, 11> kLatencyBuckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                          0.1,   0.25,   0.5,   1.0,  2.5};

  // A Telemetry handler: subscribe it to the runner before it starts.
  void on_event(const Event& e);

  // The Prometheus text exposition format (version 0.0.4): counts is the engine's job_count(),
  // executing and draining the runner's state now.
  std::string prometheus_text(const std::vector<StateCount>& counts, int executing, bool draining) const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;

  mutable std::mutex mu_;
  std::int64_t completed_ = 0;
  std::int64_t errored_ = 0;
  std::int64_t interrupted_ = 0;
  std::int64_t released_ = 0;
  std::int64_t rescued_ = 0;
  std::int64_t checkpoints_ = 0;
  std::map<JobId, SteadyTime> claimed_at_;                              // claimed, not yet started
  std::array<std::int64_t, kLatencyBuckets.size()> latency_buckets_{};  // not cumulative
  std::int64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

}  // namespace jobrunner::cli
