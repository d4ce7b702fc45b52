// GroupCommit: the ends of executions, written in shared transactions.
//
// An executor hands over the finish of its job and goes on to its next one. Whichever executor
// finds no batch being written becomes the writer: it writes everything queued in one engine call,
// then the next batch, until the queue is empty (a lone finish is written at once; under load,
// batches grow by themselves, as with LevelDB's writers). Each item's `done` runs after its
// transaction has committed or failed — that, not the hand-over, is when a finish counts.
//
// The writer also claims the next jobs in the same transaction (Claims), so slots freed by the
// finishes are refilled without a commit of their own and without waking a thread to claim.
//
// An engine that commits nothing to storage (lite) gains nothing from batches: there an executor
// waits, awake, for the write in flight and then writes its own finish, so that the job claimed
// into its slot is its own next one instead of another thread's.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "jobrunner/engine.h"

namespace spdlog {
class logger;
}

namespace jobrunner::detail {

class GroupCommit {
 public:
  // What the writer claims along with a batch of finishes, and where the claimed jobs go.
  class Claims {
   public:
    virtual ~Claims() = default;
    // The claims to make in the same transaction as a batch (often none).
    virtual std::vector<JobClaimParams> plan() = 0;
    // What each planned claim returned, once the transaction has ended; called for every plan.
    virtual void deliver(std::span<const JobClaimParams> claims,
                         std::vector<Result<std::vector<Job>>> claimed) = 0;
  };

  struct Item {
    JobFinishParams params;
    // The item's final status: ok, stale_lease, or the error of its last try.
    std::function<void(const Status&)> done;
    // Whether the job's lease is still held; a write is tried again only while it is.
    std::function<bool()> held;
    int tries = 0;
  };

  // An item whose write fails for a reason that passes by itself (another process's lock, a full
  // disk, an I/O error) is tried again for as long as its lease is held; for any other reason
  // except a lost lease, up to `max_tries` times in all. Each try waits longer, up to a second.
  GroupCommit(Engine& engine, Claims& claims, spdlog::logger& logger, int max_tries = 5,
              std::size_t max_batch = 256)
      : engine_(engine), claims_(claims), logger_(logger), max_tries_(max_tries), max_batch_(max_batch) {}

  // Queues `item`. Returns at once while another thread is writing (unless writes are short: it
  // then waits for that write to end); otherwise writes batches (this item's among them) until
  // nothing is queued, then returns.
  void submit(Item item);

  // Whether a batch is being written now (read without the lock: a hint, not a promise).
  bool writing() const { return writing_.load(std::memory_order_relaxed); }
  // Whether a write takes less than a thread switch (the engine commits nothing to storage), so
  // that waiting for one awake costs less than sleeping through it.
  bool writes_are_short() const { return short_writes_; }

 private:
  // Writes one batch with the claims planned for it; calls `done` of the items that are settled
  // and returns those to try again.
  std::vector<Item> write(std::vector<Item> batch);

  Engine& engine_;
  Claims& claims_;
  spdlog::logger& logger_;
  const int max_tries_;
  const std::size_t max_batch_;
  std::mutex mu_;
  std::deque<Item> queue_;
  std::atomic<bool> writing_{false};  // changed under mu_; read without it by writing()
  const bool short_writes_ = !engine_.commits_to_storage();
};

}  // namespace jobrunner::detail
