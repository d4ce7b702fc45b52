#include "job_json.h"

#include "jobrunner/time_text.h"

namespace jobrunner::cli {

json progress_to_json(const std::optional<Progress>& progress) {
  if (!progress) return nullptr;
  return {{"done", progress->done}, {"total", progress->total}};
}

json time_to_json(std::optional<Timestamp> t) { return t ? json(format_timestamp(*t)) : json(nullptr); }

json job_to_json(const Job& job) {
  json errors = json::array();
  for (const JobError& e : job.errors) {
    errors.push_back({{"attempt", e.attempt}, {"at", format_timestamp(e.at)}, {"message", e.message}});
  }
  json lease = nullptr;
  if (job.lease) {
    lease = {{"owner", job.lease->owner}, {"expires_at", format_timestamp(job.lease->expires_at)}};
  }
  return {{"id", job.id},
          {"worker", job.worker},
          {"queue", job.queue},
          {"state", to_string(job.state)},
          {"priority", job.priority},
          {"attempt", job.attempt},
          {"max_attempts", job.max_attempts},
          {"args", job.args},
          {"meta", job.meta},
          {"tags", job.tags},
          {"errors", errors},
          {"checkpoint", job.checkpoint},
          {"progress", progress_to_json(job.progress)},
          {"result", job.result},
          {"unique_key", job.unique_key ? json(*job.unique_key) : json(nullptr)},
          {"lease", lease},
          {"inserted_at", format_timestamp(job.inserted_at)},
          {"scheduled_at", format_timestamp(job.scheduled_at)},
          {"attempted_at", time_to_json(job.attempted_at)},
          {"finished_at", time_to_json(job.finished_at)}};
}

}  // namespace jobrunner::cli
