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
  auto* c = static_cast<Checkpointer*>(self);
  if (frames < c->requested_at_frames_) c->requested_at_frames_ = 0;  // the WAL started over
  if (frames >= kWaitFrames) {
    c->requested_at_frames_ = frames;
    c->wait_for(c->request());
  } else if (frames >= kFrames && frames - c->requested_at_frames_ >= kFrames) {
    c->requested_at_frames_ = frames;
    c->request();
  }
  return SQLITE_OK;
}

std::int64_t Checkpointer::request() {
  std::int64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = ++requested_;
  }
  cv_.notify_all();
  return ticket;
}

void Checkpointer::wait_for(std::int64_t ticket) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_ >= ticket || stopping_; });
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return requested_ > done_ || stopping_; });
    if (stopping_) return;
    const std::int64_t serving = requested_;
    lock.unlock();
    // Busy (another process's checkpoint is running) or a reader still using old frames: the WAL's
    // next growth asks again, so a failure here loses nothing.
    sqlite3_wal_checkpoint_v2(connection_.db().getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    lock.lock();
    done_ = serving;
    ++runs_;
    cv_.notify_all();
  }
}

}  // namespace jobrunner
