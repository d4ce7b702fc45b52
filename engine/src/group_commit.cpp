#include "group_commit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace jobrunner::detail {

namespace {

constexpr std::chrono::milliseconds kFirstPause{20};
constexpr std::chrono::milliseconds kLongestPause{1'000};

// Failures that end when another process releases its lock, or space or the device comes back.
bool passes(StatusCode code) {
  return code == StatusCode::busy || code == StatusCode::disk_full || code == StatusCode::io_error;
}

}  // namespace

void GroupCommit::submit(Item item) {
  std::unique_lock lock(mu_);
  // When a write takes less than handing the item over and being woken for the next job would,
  // the executor waits for the batch in flight, awake, and writes its item itself: it stays on its
  // own jobs, where leaving the item to the writer would pass every job from thread to thread.
  while (writing_ && short_writes_) {
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
  queue_.push_back(std::move(item));
  if (writing_) return;
  writing_ = true;
  while (!queue_.empty()) {
    std::vector<Item> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<Item> again = write(std::move(batch));
    if (!again.empty()) {
      // Busy or out of space: give the cause a moment to pass before the next try.
      const int doublings = std::min(again.front().tries - 1, 6);
      std::this_thread::sleep_for(std::min(kFirstPause * (1 << doublings), kLongestPause));
    }
    lock.lock();
    for (auto it = again.rbegin(); it != again.rend(); ++it) queue_.push_front(std::move(*it));
  }
  writing_ = false;
}

std::vector<GroupCommit::Item> GroupCommit::write(std::vector<Item> batch) {
  std::vector<JobFinishParams> params;
  params.reserve(batch.size());
  for (const Item& item : batch) params.push_back(item.params);
  std::vector<Status> results;
  if (std::vector<JobClaimParams> claims = claims_.plan(); claims.empty()) {
    results = engine_.job_finish(params);
  } else {
    FinishClaimResult r = engine_.job_finish_and_claim(params, claims);
    claims_.deliver(claims, std::move(r.claimed));
    results = std::move(r.finished);
  }
  std::vector<Item> again;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Item& item = batch[i];
    const Status s = i < results.size() ? results[i] : Status::internal("engine returned too few results");
    ++item.tries;
    const bool retry = !s.is_ok() && s.code() != StatusCode::stale_lease && (!item.held || item.held()) &&
                       (passes(s.code()) || item.tries < max_tries_);
    if (retry) {
      if (item.tries == 1 || item.tries % 10 == 0) {
        logger_.warn(
            "recording the end of job {} failed ({}), try {}; trying again while the job holds its lease",
            item.params.id, s.to_string(), item.tries);
      }
      again.push_back(std::move(item));
      continue;
    }
    item.done(s);
  }
  return again;
}

}  // namespace jobrunner::detail
