#include "runner_log.h"

#include <spdlog/spdlog.h>

namespace jobrunner::detail {

std::string human_duration(Millis d) {
  auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms < 60'000) return fmt::format("{:.2f} s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{} min {} s", ms / 60'000, (ms % 60'000) / 1000);
}

namespace {

std::string describe(const Job& job) { return fmt::format("Job {} ({})", job.id, job.worker); }

std::string progress_text(const std::optional<Progress>& p) {
  return p ? fmt::format(" at {}/{}", p->done, p->total) : std::string();
}

void log_stop(spdlog::logger& log, const Event& e) {
  const Job& job = *e.job;
  if (e.stale) {
    log.warn(
        "{} ended ({}) after {} but the outcome was not recorded: the job no longer held its lease, or the "
        "database refused the write",
        describe(job), to_string(*e.outcome), human_duration(e.duration));
    return;
  }
  switch (*e.outcome) {
    case Outcome::Kind::ok:
      log.info("{} completed in {}", describe(job), human_duration(e.duration));
      break;
    case Outcome::Kind::error:
      log.warn("{} failed attempt {}/{} after {}: {}", describe(job), job.attempt, job.max_attempts,
               human_duration(e.duration), e.message);
      break;
    case Outcome::Kind::discard: log.warn("{} discarded: {}", describe(job), e.message); break;
    case Outcome::Kind::cancel: log.info("{} cancelled itself: {}", describe(job), e.message); break;
    case Outcome::Kind::snooze: log.info("{} snoozed", describe(job)); break;
    case Outcome::Kind::interrupted: break;
  }
}

// The level of the lines every job logs. Their text is built before spdlog looks at the level, so a
// logger set above it skips them here instead.
std::optional<spdlog::level::level_enum> per_job_level(const Event& e) {
  switch (e.kind) {
    case EventKind::job_start: return spdlog::level::info;
    case EventKind::checkpoint_saved: return spdlog::level::debug;
    case EventKind::job_stop:
      if (!e.stale && e.outcome == Outcome::Kind::ok) return spdlog::level::info;
      return std::nullopt;
    default: return std::nullopt;
  }
}

}  // namespace

Telemetry::Handler make_log_handler(std::shared_ptr<spdlog::logger> logger) {
  return [log = std::move(logger)](const Event& e) {
    if (auto level = per_job_level(e); level && !log->should_log(*level)) return;
    switch (e.kind) {
      case EventKind::job_claimed: break;
      case EventKind::job_start:
        log->info("{} started on queue {}: attempt {}/{}{}", describe(*e.job), e.job->queue, e.job->attempt,
                  e.job->max_attempts, e.job->checkpoint.is_null() ? "" : ", resuming from its checkpoint");
        break;
      case EventKind::job_stop: log_stop(*log, e); break;
      case EventKind::job_exception:
        log->error("{} threw after {}: {}", describe(*e.job), human_duration(e.duration), e.message);
        break;
      case EventKind::job_interrupted:
        if (e.stale) {
          log_stop(*log, e);
          break;
        }
        log->info("{} interrupted after {}{}: back to available with its checkpoint, attempt not spent",
                  describe(*e.job), human_duration(e.duration), progress_text(e.progress));
        break;
      case EventKind::job_released:
        log->warn("{} still running at the shutdown deadline after {}: lease released, back to available "
                  "from its last checkpoint{}",
                  describe(*e.job), human_duration(e.duration), e.message.empty() ? "" : " (" + e.message + ")");
        break;
      case EventKind::job_stale:
        log->warn("{}: checkpoint rejected, the job no longer holds its lease ({})", describe(*e.job), e.message);
        break;
      case EventKind::checkpoint_saved:
        log->debug("{} saved a checkpoint{}", describe(*e.job), progress_text(e.progress));
        break;
      case EventKind::jobs_rescued:
        log->warn("Rescued {} orphaned job(s) left executing by a stopped runner; {} discarded, out of attempts",
                  e.count, e.discarded);
        break;
      case EventKind::jobs_staged: log->debug("{} scheduled job(s) now available", e.count); break;
      case EventKind::jobs_pruned: log->info("Pruned {} finished job(s)", e.count); break;
      case EventKind::runner_started: log->info("Runner {} started", e.message); break;
      case EventKind::runner_draining:
        log->info("Shutting down: stopped claiming; {} running job(s) asked to stop after their current chunk",
                  e.count);
        break;
      case EventKind::runner_stopped:
        log->info("Runner stopped after {}: {}", human_duration(e.duration), e.message);
        break;
    }
  };
}

}  // namespace jobrunner::detail
