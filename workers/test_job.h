// TestJob: the demo worker. Long dummy work in chunks, progress logged per chunk, a detailed result,
// and a clean stop on shutdown that resumes from the next chunk after a restart.
//
// Args: duration_seconds (default 120) and chunk_size (seconds, default 5), or for fast runs
// duration_ms and chunk_ms; on_shutdown: "resume" (default: back to available, resume later) or
// "complete" (finish at once with the partial result, status "shutdown_gracefully").
#pragma once

#include <vector>

#include "jobrunner/chunked.h"
#include "jobrunner/job.h"

namespace jobrunner::workers {

inline constexpr const char* kTestJob = "TestJob";

class TestJob final : public ChunkedWorker {
 public:
  WorkerOptions options() const override;

 protected:
  std::int64_t chunk_count(JobContext& ctx) const override;
  bool run_chunk(Chunk& chunk) const override;
  Outcome finish(JobContext& ctx, const ChunkRun& run) const override;
  Outcome on_stop(JobContext& ctx, const ChunkRun& run) const override;
  void on_begin(JobContext& ctx, const ChunkRun& run) const override;
};

// The demo's durations and chunk sizes as args; throws std::invalid_argument for bad args.
struct TestJobPlan {
  Millis duration;
  Millis chunk;
  std::int64_t chunks;
};
TestJobPlan test_job_plan(const json& args);

// Enqueue helpers: quick (30 s), medium (2 min), long (5 min), custom, and n jobs at once.
NewJob test_job_quick();
NewJob test_job_medium();
NewJob test_job_long();
NewJob test_job_custom(Millis duration, Millis chunk);
std::vector<NewJob> test_job_multiple(int n, Millis duration = Millis(30'000), Millis chunk = Millis(5'000));

}  // namespace jobrunner::workers
