#include "jobrunner/chunked.h"

namespace jobrunner {

namespace {

constexpr int kCheckpointFormat = 1;

json to_checkpoint(const ChunkRun& run) {
  json cp = {{"format", kCheckpointFormat},
             {"next_chunk", run.next},
             {"total_chunks", run.total},
             {"state", run.state},
             {"resumes", run.resumes}};
  if (run.resumed_from) cp["resumed_from"] = *run.resumed_from;
  return cp;
}

// Restores a run from the checkpoint of an earlier execution; a checkpoint this helper did not
// write (or none) starts from chunk 0.
void restore(const json& cp, ChunkRun& run) {
  if (!cp.is_object() || cp.value("format", 0) != kCheckpointFormat) return;
  run.next = std::min<std::int64_t>(cp.value("next_chunk", std::int64_t{0}), run.total);
  run.state = cp.value("state", json::object());
  run.resumes = cp.value("resumes", 0) + 1;
  run.resumed_from = run.next;
}

}  // namespace

Outcome ChunkedWorker::on_stop(JobContext&, const ChunkRun&) const { return Outcome::interrupted(); }

void ChunkedWorker::on_begin(JobContext&, const ChunkRun&) const {}

Outcome ChunkedWorker::perform(JobContext& ctx) const {
  ChunkRun run;
  run.total = chunk_count(ctx);
  restore(ctx.checkpoint(), run);
  const Timestamp begun = ctx.clock().now();
  auto stopped = [&] {
    run.elapsed_this_run = Millis(ctx.clock().now() - begun);
    // Only a shutdown lets the worker choose; after a timeout, cancel or lost lease the runner
    // decides what the stop means.
    return ctx.stop_reason() == StopReason::shutdown ? on_stop(ctx, run) : Outcome::interrupted();
  };
  on_begin(ctx, run);
  while (run.next < run.total) {
    if (ctx.stop_requested()) return stopped();
    json before = run.state;
    Chunk chunk(ctx, run);
    if (!run_chunk(chunk)) {
      run.state = std::move(before);
      return stopped();
    }
    ++run.next;
    ++run.done_this_run;
    std::function<void(Transaction&)> writes;
    if (!chunk.writes().empty()) {
      writes = [&chunk](Transaction& tx) {
        for (const auto& write : chunk.writes()) write(tx);
      };
    }
    Status saved = ctx.save_checkpoint(to_checkpoint(run), Progress{run.next, run.total}, std::move(writes));
    if (saved.code() == StatusCode::stale_lease) return Outcome::interrupted();
    if (!saved.is_ok()) {
      return Outcome::error("checkpoint after chunk " + std::to_string(run.next) + "/" +
                            std::to_string(run.total) + " failed: " + saved.message());
    }
  }
  run.elapsed_this_run = Millis(ctx.clock().now() - begun);
  return finish(ctx, run);
}

}  // namespace jobrunner
