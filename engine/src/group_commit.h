// GroupCommit: job finishes from many executor threads written in shared transactions.
//
// The queue of LevelDB's writers: a caller appends its item and waits; the caller at the front
// becomes the leader, takes everything queued (up to a limit), writes it with one engine call, and
// wakes the callers whose items it wrote. A lone caller commits at once; under load, batches grow
// by themselves. Every caller returns only after its own item is committed (or rejected).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "jobrunner/engine.h"

namespace jobrunner::detail {

class GroupCommit {
 public:
  explicit GroupCommit(Engine& engine, std::size_t max_batch = 256) : engine_(engine), max_batch_(max_batch) {}

  // Blocks until p is written; returns its status (stale_lease when its lease was lost).
  Status finish(const JobFinishParams& p);

 private:
  struct Waiter {
    const JobFinishParams* params;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };

  Engine& engine_;
  const std::size_t max_batch_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;
};

}  // namespace jobrunner::detail
