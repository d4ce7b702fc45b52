// A job as JSON, for `--json` output: the Job's fields under their own names, times as ISO-8601 UTC
// text (null while unset), progress as {done, total}. Scripts rely on these names; keep them stable.
#pragma once

#include "jobrunner/job.h"

namespace jobrunner::cli {

json job_to_json(const Job& job);

// {"done": N, "total": M}, or null when the job has reported no progress.
json progress_to_json(const std::optional<Progress>& progress);

// Text for a time that may be unset: ISO-8601, or null.
json time_to_json(std::optional<Timestamp> t);

}  // namespace jobrunner::cli
