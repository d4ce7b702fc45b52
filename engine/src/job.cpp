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

// Whether s is UTF-8 as JSON text must be: no stray or overlong bytes, no surrogates, nothing past
// U+10FFFF. nlohmann's dump() throws on anything else, and SQLite would store it altered.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int more;
    std::uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      more = 1, cp = b & 0x1Fu;
    } else if (b >= 0xE0 && b <= 0xEF) {
      more = 2, cp = b & 0x0Fu;
    } else if (b >= 0xF0 && b <= 0xF4) {
      more = 3, cp = b & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<std::size_t>(more)) return false;
    for (int k = 1; k <= more; ++k) {
      const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((c & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(more) + 1;
  }
  return true;
}

}  // namespace

std::string_view to_string(JobState s) { return kStateNames[static_cast<int>(s)]; }

bool all_utf8(const json& value) {
  std::vector<const json*> todo{&value};
  while (!todo.empty()) {
    const json* v = todo.back();
    todo.pop_back();
    if (v->is_string() && !valid_utf8(v->get_ref<const std::string&>())) return false;
    if (v->is_object()) {
      for (const auto& [key, child] : v->items()) {
        if (!valid_utf8(key)) return false;
        todo.push_back(&child);
      }
    } else if (v->is_array()) {
      for (const json& child : *v) todo.push_back(&child);
    }
  }
  return true;
}

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
  if (!all_utf8(job.args) || !all_utf8(job.meta) ||
      !std::all_of(job.tags.begin(), job.tags.end(), [](const std::string& t) { return valid_utf8(t); })) {
    return Status::invalid(
        "args, meta and tags must hold UTF-8 text only: a string has bytes that are not UTF-8");
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
