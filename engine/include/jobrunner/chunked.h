// ChunkedWorker: long work in chunks that survives restarts.
//
// A worker says how many chunks a job has and how to do chunk i; the helper checks the stop token
// before each chunk, saves a checkpoint (next chunk, the worker's state, progress) after each one
// in one transaction with the chunk's own writes, and on the next run resumes from the next chunk.
// A chunk is redone only if the process died while it ran; with writes made through
// Chunk::on_commit, a chunk's effects happen exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "jobrunner/worker.h"

namespace jobrunner {

// Where a chunked job stands; kept in the checkpoint.
struct ChunkRun {
  std::int64_t total = 0;       // chunks in the job
  std::int64_t next = 0;        // the next chunk to do (0-based); == total when done
  json state = json::object();  // the worker's own state, saved with each chunk
  int resumes = 0;              // how many times this job resumed from a checkpoint
  std::optional<std::int64_t> resumed_from;  // the chunk the latest resume started at
  std::int64_t done_this_run = 0;            // chunks finished by this execution
  Millis elapsed_this_run{0};                // time spent by this execution
};

// One chunk as the worker sees it.
class Chunk {
 public:
  Chunk(JobContext& ctx, ChunkRun& run) : ctx_(ctx), run_(run) {}
  std::int64_t index() const { return run_.next; }
  std::int64_t total() const { return run_.total; }
  // The worker's state; what it holds after the chunk is saved with the checkpoint.
  json& state() { return run_.state; }
  JobContext& ctx() { return ctx_; }
  // Adds writes to the transaction that saves this chunk's checkpoint.
  void on_commit(std::function<void(Transaction&)> fn) { writes_.push_back(std::move(fn)); }
  const std::vector<std::function<void(Transaction&)>>& writes() const { return writes_; }

 private:
  JobContext& ctx_;
  ChunkRun& run_;
  std::vector<std::function<void(Transaction&)>> writes_;
};

class ChunkedWorker : public Worker {
 public:
  Outcome perform(JobContext& ctx) const final;

 protected:
  // How many chunks the job has (read from its args). Must not change between runs of one job.
  virtual std::int64_t chunk_count(JobContext& ctx) const = 0;
  // Does one chunk. Returns false when it was aborted part way (the chunk is not saved and will be
  // redone); throwing is an error outcome.
  virtual bool run_chunk(Chunk& chunk) const = 0;
  // After the last chunk: the outcome (normally ok with a result built from run.state).
  virtual Outcome finish(JobContext& ctx, const ChunkRun& run) const = 0;
  // When a stop arrives between chunks. Default: interrupted, so the job resumes later.
  virtual Outcome on_stop(JobContext& ctx, const ChunkRun& run) const;
  // Called once per execution before the first chunk it runs (resumed or not), e.g. to log.
  virtual void on_begin(JobContext& ctx, const ChunkRun& run) const;
};

}  // namespace jobrunner
