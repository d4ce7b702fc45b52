#include "group_commit.h"

#include <vector>

namespace jobrunner::detail {

Status GroupCommit::finish(const JobFinishParams& p) {
  Waiter self{&p, Status(), false, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  self.cv.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (self.done) return self.status;

  std::vector<Waiter*> group;
  std::vector<JobFinishParams> items;
  for (Waiter* w : queue_) {
    if (group.size() == max_batch_) break;
    group.push_back(w);
    items.push_back(*w->params);
  }
  lock.unlock();
  std::vector<Status> results = engine_.job_finish(items);
  lock.lock();
  for (std::size_t i = 0; i < group.size(); ++i) {
    queue_.pop_front();
    group[i]->status = i < results.size() ? results[i] : Status::internal("engine returned too few results");
    group[i]->done = true;
    if (group[i] != &self) group[i]->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return self.status;
}

}  // namespace jobrunner::detail
