#include "jobrunner/job.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace jobrunner {

namespace {

constexpr std::string_view kStateNames[] = {"scheduled", "available", "executing", "retryable",
                                            "completed", "discarded", "cancelled"};

// FNV-1a, 64 bits: stable across builds and platforms, unlike std::hash.
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// The deepest nesting of arrays and objects in value (a scalar is 0), found without recursion so that
// any depth can be measured. Stops counting past `limit`.
int json_depth(const json& value, int limit) {
  std::vector<std::pair<const json*, int>> todo{{&value, 0}};
  int deepest = 0;
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const json& child : *v) todo.emplace_back(&child, depth + 1);
  }
  return deepest;
}

}  // namespace

std::string_view to_string(JobState s) { return kStateNames[static_cast<int>(s)]; }

Result<JobState> parse_job_state(std::string_view name) {
  for (JobState s : kAllStates) {
    if (to_string(s) == name) return s;
  }
  return Status::invalid("unknown job state '" + std::string(name) +
                         "' (expected scheduled, available, executing, retryable, completed, discarded "
                         "or cancelled)");
}

bool is_final(JobState s) {
  return s == JobState::completed || s == JobState::discarded || s == JobState::cancelled;
}

bool valid_queue_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

Status validate(const NewJob& job) {
  if (job.worker.empty()) return Status::invalid("worker name is empty");
  if (job.worker.size() > 256) return Status::invalid("worker name is longer than 256 characters");
  if (!valid_queue_name(job.queue)) {
    return Status::invalid("invalid queue name '" + job.queue +
                           "': use 1-64 characters of letters, digits, '_', '-' or '.'");
  }
  if (!job.args.is_object()) {
    return Status::invalid(std::string("args must be a JSON object, not ") + job.args.type_name());
  }
  if (!job.meta.is_object()) {
    return Status::invalid(std::string("meta must be a JSON object, not ") + job.meta.type_name());
  }
  if (Status s = check_json_limits(job.args, "args"); !s.is_ok()) return s;
  if (Status s = check_json_limits(job.meta, "meta"); !s.is_ok()) return s;
  if (job.priority && (*job.priority < 0 || *job.priority > 9)) {
    return Status::invalid("priority must be 0 (first) to 9 (last), not " + std::to_string(*job.priority));
  }
  if (job.max_attempts < 1) {
    return Status::invalid("max_attempts must be at least 1, not " + std::to_string(job.max_attempts));
  }
  if (job.unique && job.unique->period.count() < 0) return Status::invalid("unique period is negative");
  return Status::ok();
}

Status check_json_limits(const json& value, std::string_view what) {
  if (json_depth(value, kMaxJsonDepth) > kMaxJsonDepth) {
    return Status::invalid(std::string(what) + " is nested more than " + std::to_string(kMaxJsonDepth) +
                           " levels deep");
  }
  const std::size_t size = value.dump().size();
  if (size > kMaxArgsBytes) {
    return Status::invalid(std::string(what) + " is " + std::to_string(size) +
                           " bytes of JSON, over the limit of " + std::to_string(kMaxArgsBytes) + " (1 MiB)");
  }
  return Status::ok();
}

std::string unique_key_for(const NewJob& job) {
  std::uint64_t h;
  if (job.unique && !job.unique->key.empty()) {
    h = fnv1a(job.unique->key, fnv1a("key\x1f"));
  } else {
    // json::dump sorts object keys, so equal args give equal text.
    h = fnv1a(job.args.dump(), fnv1a(job.queue + "\x1f", fnv1a(job.worker + "\x1f")));
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace jobrunner
