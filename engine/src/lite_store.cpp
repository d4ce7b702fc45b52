#include "lite_store.h"

#include <algorithm>

namespace jobrunner::lite {

namespace {

template <class Set, class Key>
void add_or_remove(Set& set, const Key& key, bool add) {
  if (add) {
    set.insert(key);
  } else {
    set.erase(key);
  }
}

}  // namespace

JobExtras& StoredJob::more() {
  if (!extras) extras = std::make_unique<JobExtras>();
  return *extras;
}

StoredJob& LiteStore::insert(const NewJob& job, const std::optional<std::string>& unique_key, Timestamp now) {
  const JobId id = next_id_++;
  StoredJob& s = jobs_.emplace_hint(jobs_.end(), id, StoredJob{})->second;
  s.id = id;
  s.queue = &*queues_.try_emplace(job.queue).first;
  s.worker = &*workers_.insert(job.worker).first;
  s.args = job.args;
  s.priority = job.priority.value_or(0);
  s.max_attempts = job.max_attempts;
  s.inserted_at = now;
  s.scheduled_at = job.scheduled_at.value_or(now);
  s.state = s.scheduled_at > now ? JobState::scheduled : JobState::available;
  if (!job.meta.empty() || !job.tags.empty() || unique_key) {
    JobExtras& x = s.more();
    x.meta = job.meta;
    x.tags = job.tags;
    if (unique_key) {
      auto& [key, ids] = *unique_.try_emplace(*unique_key).first;
      ids.insert(id);
      x.unique_key = &key;
    }
  }
  track(s, true);
  return s;
}

void LiteStore::erase(StoredJob& job) {
  track(job, false);
  if (job.extras && job.extras->unique_key) {
    auto it = unique_.find(*job.extras->unique_key);
    it->second.erase(job.id);
    if (it->second.empty()) unique_.erase(it);
  }
  jobs_.erase(job.id);
}

StoredJob* LiteStore::find(JobId id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

StoredJob* LiteStore::find_duplicate(const std::string& key, const UniqueOptions& unique, Timestamp now) {
  auto it = unique_.find(key);
  if (it == unique_.end()) return nullptr;
  for (auto id = it->second.rbegin(); id != it->second.rend(); ++id) {
    StoredJob& s = jobs_.at(*id);
    const bool in_period = unique.period.count() == 0 || now - s.inserted_at < unique.period.count();
    if (in_period && std::find(unique.states.begin(), unique.states.end(), s.state) != unique.states.end()) {
      return &s;
    }
  }
  return nullptr;
}

Job LiteStore::to_job(const StoredJob& s) const {
  Job j;
  j.id = s.id;
  j.queue = s.queue->first;
  j.worker = *s.worker;
  j.args = s.args;
  j.state = s.state;
  j.priority = s.priority;
  j.attempt = s.attempt;
  j.max_attempts = s.max_attempts;
  j.inserted_at = s.inserted_at;
  j.scheduled_at = s.scheduled_at;
  j.attempted_at = s.attempted_at;
  j.finished_at = s.finished_at;
  if (s.extras) {
    const JobExtras& x = *s.extras;
    j.meta = x.meta;
    j.tags = x.tags;
    j.errors = x.errors;
    j.checkpoint = x.checkpoint;
    j.progress = x.progress;
    j.result = x.result;
    if (x.unique_key) j.unique_key = *x.unique_key;
    j.lease = x.lease;
  }
  return j;
}

Queue& LiteStore::queue(const std::string& name) { return queues_.try_emplace(name).first->second; }

const Queue* LiteStore::find_queue(std::string_view name) const {
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : &it->second;
}

void LiteStore::track(const StoredJob& s, bool add) {
  Queue& q = s.queue->second;
  q.counts[static_cast<std::size_t>(s.state)] += add ? 1 : -1;
  switch (s.state) {
    case JobState::available:
      add_or_remove(q.available, ClaimKey{s.priority, s.scheduled_at, s.id}, add);
      break;
    case JobState::scheduled:
    case JobState::retryable: add_or_remove(waiting_, TimeKey{s.scheduled_at, s.id}, add); break;
    case JobState::executing: add_or_remove(executing_, s.id, add); break;
    case JobState::completed:
    case JobState::discarded:
    case JobState::cancelled: add_or_remove(finished_, TimeKey{s.finished_at.value_or(0), s.id}, add); break;
  }
}

}  // namespace jobrunner::lite
