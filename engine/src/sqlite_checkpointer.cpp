#include "sqlite_checkpointer.h"

#include <sqlite3.h>

namespace jobrunner {

Checkpointer::Checkpointer(const SqliteOptions& options, SQLite::Database& writer)
    : writer_(writer), connection_(options, false) {
  thread_ = std::thread([this] { loop(); });
  // Replaces the writer's automatic checkpoint (which is itself a WAL hook).
  sqlite3_wal_hook(writer_.getHandle(), &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_.getHandle(), nullptr, nullptr);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

std::int64_t Checkpointer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int Checkpointer::on_commit(void* self, sqlite3*, const char*, int frames) {
  if (frames >= kFrames) static_cast<Checkpointer*>(self)->request();
  return SQLITE_OK;
}

void Checkpointer::request() {
  {
    std::lock_guard lock(mu_);
    if (pending_) return;
    pending_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    lock.unlock();
    // Busy (another checkpoint is running) or a reader still using old frames: the next commit
    // past the threshold asks again, so a failure here loses nothing.
    sqlite3_wal_checkpoint_v2(connection_.db().getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    lock.lock();
    ++runs_;
  }
}

}  // namespace jobrunner
