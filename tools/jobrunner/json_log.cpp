#include "json_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>

#include "jobrunner/time_text.h"

namespace jobrunner::cli {

namespace {

// The job the runner is executing on this thread (0: none), set between job_start and job_stop.
thread_local JobId t_current_job = 0;

// The id in a line that begins "Job <id> (", as the runner's log lines about a job do.
JobId job_named_in(std::string_view msg) {
  constexpr std::string_view kPrefix = "Job ";
  if (!msg.starts_with(kPrefix)) return 0;
  JobId id = 0;
  const char* begin = msg.data() + kPrefix.size();
  const char* end = msg.data() + msg.size();
  auto [next, ec] = std::from_chars(begin, end, id);
  if (ec != std::errc() || next == begin || std::string_view(next, end - next).substr(0, 2) != " (") return 0;
  return id;
}

std::optional<std::int64_t> chunk_in_flight(const std::optional<Progress>& p) {
  if (!p || p->total <= 0) return std::nullopt;
  return std::min(p->done + 1, p->total);
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  explicit JsonLogFormatter(std::shared_ptr<const JobLogContext> jobs) : jobs_(std::move(jobs)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    auto ms = std::chrono::duration_cast<Millis>(msg.time.time_since_epoch()).count();
    const auto& level = spdlog::level::to_string_view(msg.level);
    nlohmann::ordered_json line = {
        {"ts", format_timestamp(ms)}, {"level", std::string(level.data(), level.size())}, {"msg", text}};
    if (auto job = jobs_->fields_for(text)) {
      line["job_id"] = job->id;
      line["worker"] = job->worker;
      line["queue"] = job->queue;
      line["attempt"] = job->attempt;
      if (job->chunk) line["chunk"] = *job->chunk;
    }
    // A worker may log bytes that are not UTF-8; replacing them keeps every line valid JSON.
    std::string out = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    out += '\n';
    dest.append(out.data(), out.data() + out.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>(jobs_);
  }

 private:
  std::shared_ptr<const JobLogContext> jobs_;
};

}  // namespace

void JobLogContext::on_event(const Event& e) {
  if (e.job == nullptr) return;
  const Job& job = *e.job;
  switch (e.kind) {
    case EventKind::job_claimed: {
      std::lock_guard lock(mu_);
      jobs_[job.id] = JobLogFields{job.id, job.worker, job.queue, job.attempt, chunk_in_flight(job.progress)};
      break;
    }
    case EventKind::job_start: t_current_job = job.id; break;
    case EventKind::checkpoint_saved: {
      std::lock_guard lock(mu_);
      if (auto it = jobs_.find(job.id); it != jobs_.end()) it->second.chunk = chunk_in_flight(e.progress);
      break;
    }
    case EventKind::job_stop:
    case EventKind::job_interrupted: {
      if (t_current_job == job.id) t_current_job = 0;
      std::lock_guard lock(mu_);
      jobs_.erase(job.id);
      break;
    }
    default: break;
  }
}

std::optional<JobLogFields> JobLogContext::fields_for(std::string_view msg) const {
  JobId id = t_current_job != 0 ? t_current_job : job_named_in(msg);
  if (id == 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<spdlog::logger> make_json_logger(std::shared_ptr<const JobLogContext> jobs) {
  auto logger = spdlog::stdout_logger_mt("jobrunner");
  logger->set_formatter(std::make_unique<JsonLogFormatter>(std::move(jobs)));
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace jobrunner::cli
