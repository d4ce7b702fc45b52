// A worker of our own that sums 1..n, one number per chunk, saving a checkpoint after each chunk.
// SIGTERM or Ctrl-C stops it after the chunk in flight; run it again and the job resumes there.
#include <jobrunner/chunked.h>
#include <jobrunner/runner.h>
#include <jobrunner/sqlite_engine.h>
#include <signal.h>
#include <spdlog/spdlog.h>

using namespace jobrunner;

class SumWorker final : public ChunkedWorker {
 protected:
  std::int64_t chunk_count(JobContext& ctx) const override { return ctx.args().value("n", 10); }
  bool run_chunk(Chunk& chunk) const override {
    if (!chunk.ctx().work_for(Millis(1000))) return false;  // aborted: the chunk is not saved
    std::int64_t sum = chunk.state().value("sum", std::int64_t{0}) + chunk.index() + 1;
    chunk.state()["sum"] = sum;
    spdlog::info("chunk {}/{} done: sum {}", chunk.index() + 1, chunk.total(), sum);
    return true;
  }
  Outcome finish(JobContext&, const ChunkRun& run) const override { return Outcome::ok(run.state); }
};

int main(int argc, char** argv) {
  // Blocked before the runner starts its threads, so that only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  SqliteOptions db;
  db.path = argc > 1 ? argv[1] : "chunked_worker.db";
  auto engine = open_sqlite_engine(db);
  if (!engine.is_ok()) {
    spdlog::error("cannot open {}: {}", db.path, engine.status().to_string());
    return 1;
  }
  auto workers = std::make_shared<WorkerRegistry>();
  workers->add("Sum", std::make_shared<SumWorker>());
  Runner runner(*engine, workers);
  if (Status s = runner.start(); !s.is_ok()) return 1;

  NewJob job;
  job.worker = "Sum";
  job.args = {{"n", 10}};
  job.unique = UniqueOptions{};  // a second run finds the first run's job instead of adding one
  auto inserted = runner.insert(job);
  if (!inserted.is_ok()) return 1;
  spdlog::info("job {} {}; SIGTERM or Ctrl-C stops it after its current chunk", inserted->job.id,
               inserted->duplicate ? "already enqueued" : "enqueued");

  int signal = 0;
  sigwait(&stop_signals, &signal);
  StopReport report = runner.stop();
  spdlog::info("stopped: {} interrupted, {} completed", report.interrupted, report.completed);
  return 0;
}
