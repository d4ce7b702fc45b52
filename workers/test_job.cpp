#include "workers/test_job.h"

#include <spdlog/spdlog.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "jobrunner/time_text.h"

namespace jobrunner::workers {

namespace {

Millis read_millis(const json& args, const char* ms_key, const char* seconds_key, double default_seconds) {
  if (args.contains(ms_key)) {
    const json& v = args.at(ms_key);
    if (!v.is_number()) throw std::invalid_argument(std::string(ms_key) + " must be a number");
    return Millis(v.get<std::int64_t>());
  }
  if (args.contains(seconds_key)) {
    const json& v = args.at(seconds_key);
    if (!v.is_number()) throw std::invalid_argument(std::string(seconds_key) + " must be a number");
    return Millis(static_cast<std::int64_t>(v.get<double>() * 1000.0));
  }
  return Millis(static_cast<std::int64_t>(default_seconds * 1000.0));
}

std::string seconds_text(Millis d) { return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0); }

std::string thread_name() {
  std::ostringstream out;
  out << std::this_thread::get_id();
  return out.str();
}

Millis chunk_length(const TestJobPlan& plan, std::int64_t index) {
  Millis rest = plan.duration - plan.chunk * index;
  return std::min(plan.chunk, rest);
}

json base_result(const ChunkRun& run, const char* status) {
  const json& details = run.state.contains("details") ? run.state["details"] : json::array();
  double total_ms = 0;
  for (const json& d : details) total_ms += d.value("duration_ms", 0.0);
  json result = {{"status", status},
                 {"chunks_completed", static_cast<std::int64_t>(details.size())},
                 {"total_chunks", run.total},
                 {"total_duration", total_ms / 1000.0},
                 {"interruptions", run.resumes},
                 {"details", details}};
  if (run.resumed_from) result["resumed_from_chunk"] = *run.resumed_from + 1;
  return result;
}

NewJob make(json args) {
  NewJob job;
  job.worker = kTestJob;
  job.args = std::move(args);
  return job;
}

}  // namespace

TestJobPlan test_job_plan(const json& args) {
  if (!args.is_object()) throw std::invalid_argument("args must be a JSON object");
  TestJobPlan plan{read_millis(args, "duration_ms", "duration_seconds", 120),
                   read_millis(args, "chunk_ms", "chunk_size", 5), 0};
  if (plan.duration.count() <= 0) throw std::invalid_argument("the duration must be positive");
  if (plan.chunk.count() <= 0) throw std::invalid_argument("the chunk size must be positive");
  plan.chunks = (plan.duration.count() + plan.chunk.count() - 1) / plan.chunk.count();
  if (args.contains("on_shutdown")) {
    const json& v = args["on_shutdown"];
    if (v != "resume" && v != "complete") throw std::invalid_argument("on_shutdown must be \"resume\" or \"complete\"");
  }
  return plan;
}

WorkerOptions TestJob::options() const {
  WorkerOptions o;
  o.queue = "default";
  o.max_attempts = 3;
  o.timeout = Millis(10 * 60 * 1000);
  return o;
}

std::int64_t TestJob::chunk_count(JobContext& ctx) const { return test_job_plan(ctx.args()).chunks; }

void TestJob::on_begin(JobContext& ctx, const ChunkRun& run) const {
  TestJobPlan plan = test_job_plan(ctx.args());
  auto& log = ctx.logger();
  if (run.resumed_from) {
    log.info("[TestJob] Resuming job {} from chunk {}/{} (interruptions survived: {})", ctx.job().id,
             *run.resumed_from + 1, run.total, run.resumes);
    return;
  }
  log.info("[TestJob] Starting long-running job {}: duration {}, chunk size {}, {} chunks, thread {}",
           ctx.job().id, seconds_text(plan.duration), seconds_text(plan.chunk), plan.chunks, thread_name());
}

bool TestJob::run_chunk(Chunk& chunk) const {
  JobContext& ctx = chunk.ctx();
  TestJobPlan plan = test_job_plan(ctx.args());
  std::int64_t number = chunk.index() + 1;
  ctx.logger().info("[TestJob] Processing chunk {}/{} ({} remaining)", number, chunk.total(),
                    chunk.total() - number);
  Millis length = chunk_length(plan, chunk.index());
  Timestamp began = ctx.clock().now();
  if (!ctx.work_for(length)) {
    ctx.logger().info("[TestJob] Chunk {}/{} aborted ({})", number, chunk.total(), to_string(ctx.stop_reason()));
    return false;
  }
  json& details = chunk.state()["details"];
  if (!details.is_array()) details = json::array();
  details.push_back({{"chunk_number", number},
                     {"duration_ms", ctx.clock().now() - began},
                     {"timestamp", format_timestamp(ctx.clock().now())},
                     {"status", "completed"}});
  return true;
}

Outcome TestJob::finish(JobContext& ctx, const ChunkRun& run) const {
  json result = base_result(run, "completed");
  ctx.logger().info("[TestJob] Job {} completed: {} chunks in {}", ctx.job().id, run.total,
                    seconds_text(Millis(static_cast<std::int64_t>(result["total_duration"].get<double>() * 1000))));
  return Outcome::ok(std::move(result));
}

Outcome TestJob::on_stop(JobContext& ctx, const ChunkRun& run) const {
  auto& log = ctx.logger();
  log.info("[TestJob] Received shutdown message");
  log.info("[TestJob] Job shutdown gracefully: {}/{} chunks completed ({} in this run), ran {} before shutdown",
           run.next, run.total, run.done_this_run, seconds_text(run.elapsed_this_run));
  if (ctx.args().value("on_shutdown", std::string("resume")) == "complete") {
    return Outcome::ok(base_result(run, "shutdown_gracefully"));
  }
  return Outcome::interrupted();
}

NewJob test_job_quick() { return make({{"duration_seconds", 30}, {"chunk_size", 5}}); }
NewJob test_job_medium() { return make({{"duration_seconds", 120}, {"chunk_size", 5}}); }
NewJob test_job_long() { return make({{"duration_seconds", 300}, {"chunk_size", 5}}); }

NewJob test_job_custom(Millis duration, Millis chunk) {
  return make({{"duration_ms", duration.count()}, {"chunk_ms", chunk.count()}});
}

std::vector<NewJob> test_job_multiple(int n, Millis duration, Millis chunk) {
  std::vector<NewJob> jobs;
  for (int i = 0; i < n; ++i) jobs.push_back(test_job_custom(duration, chunk));
  return jobs;
}

}  // namespace jobrunner::workers
