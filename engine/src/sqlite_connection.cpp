#include "sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace jobrunner {

// Per thread: the pools holding a connection for this thread, told to close it when the thread
// ends. Without this a process that starts many short-lived threads would keep a connection (and
// a file descriptor) for every thread it ever ran.
class ThreadConnections {
 public:
  ~ThreadConnections() {
    const auto self = std::this_thread::get_id();
    for (auto& pool : pools_) {
      if (auto p = pool.lock()) p->release(self);
    }
  }

  void add(std::weak_ptr<ConnectionPool> pool) {
    std::erase_if(pools_, [](const auto& p) { return p.expired(); });
    pools_.push_back(std::move(pool));
  }

 private:
  std::vector<std::weak_ptr<ConnectionPool>> pools_;
};

namespace {

thread_local ThreadConnections thread_connections;

// What the WAL file is truncated back to each time the WAL starts over: 1,000 pages of 4 KiB, the
// most wal_autocheckpoint lets it hold before a checkpoint.
constexpr std::int64_t kWalSizeLimit = 4 * 1024 * 1024;

// While another process holds the write lock: retry every 100 us for the first 5 ms, then every
// millisecond, until busy_timeout has passed. SQLite's own handler sleeps 1, 2, 5, 10 … 100 ms
// between tries; against a process that commits back to back and holds the lock all but a few
// microseconds between its transactions, such long sleeps almost never land in a gap, and the
// waiting process starves until the busy one goes idle.
int retry_while_busy(void* timeout_ms, int tries) {
  constexpr int kShortTries = 50;
  const std::int64_t waited_us =
      tries < kShortTries ? tries * 100 : kShortTries * 100 + std::int64_t{tries - kShortTries} * 1000;
  if (waited_us >= *static_cast<const std::int64_t*>(timeout_ms) * 1000) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(tries < kShortTries ? 100 : 1000));
  return 1;
}

}  // namespace

Connection::Connection(const SqliteOptions& options, bool create)
    : db_(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX | (create ? SQLite::OPEN_CREATE : 0),
          static_cast<int>(options.busy_timeout.count())),
      busy_timeout_ms_(options.busy_timeout.count()) {
  sqlite3_busy_handler(db_.getHandle(), &retry_while_busy, &busy_timeout_ms_);
  db_.exec(options.synchronous == Synchronous::full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");
  // SQLite never shrinks the WAL file by itself: one long read (a backup, a slow query) that holds
  // off checkpoints leaves it at its largest size for as long as the database stays open. With a
  // limit, the write that starts the WAL over after a checkpoint truncates it back to about the
  // size wal_autocheckpoint lets it reach.
  db_.exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimit));
}

CachedStatement Connection::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
  }
  it->second->reset();
  it->second->clearBindings();
  return CachedStatement(*it->second);
}

Connection& ConnectionPool::get() {
  const auto self = std::this_thread::get_id();
  {
    std::lock_guard lock(mu_);
    if (auto it = by_thread_.find(self); it != by_thread_.end()) return *it->second;
  }
  // Opened outside the lock: opening may wait on busy_timeout, and other threads need not wait.
  auto c = std::make_unique<Connection>(options_, false);
  Connection& ref = *c;
  adopt(std::move(c));
  return ref;
}

void ConnectionPool::adopt(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mu_);
    by_thread_[std::this_thread::get_id()] = std::move(c);
  }
  thread_connections.add(weak_from_this());
}

void ConnectionPool::release(std::thread::id thread) {
  std::unique_ptr<Connection> closing;
  std::lock_guard lock(mu_);
  if (auto it = by_thread_.find(thread); it != by_thread_.end()) {
    closing = std::move(it->second);
    by_thread_.erase(it);
  }
}

}  // namespace jobrunner
