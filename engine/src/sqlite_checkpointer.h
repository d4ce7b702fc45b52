// Checkpointer: copies the WAL back into the database file on a thread of its own.
//
// SQLite's automatic checkpoint runs inside the commit that crosses the WAL's size threshold, so
// one writer in a thousand would pay for copying pages and syncing the file while holding the
// write lock. Instead the writing connection's WAL hook asks this thread, which runs a PASSIVE
// checkpoint on its own connection: it never takes the write lock, never waits on readers, and a
// checkpoint that cannot finish (a reader holds an old snapshot) is simply tried again later.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "sqlite_connection.h"

namespace jobrunner {

class Checkpointer {
 public:
  // The WAL size, in pages, from which a commit asks for a checkpoint (SQLite's default, 4 MiB).
  static constexpr int kFrames = 1000;

  // Opens a connection of its own to options.path and installs the WAL hook on `writer`.
  Checkpointer(const SqliteOptions& options, SQLite::Database& writer);
  // Removes the hook and joins the thread.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run so far (for tests and figures).
  std::int64_t runs() const;

 private:
  static int on_commit(void* self, struct sqlite3* db, const char* name, int frames);
  void request();
  void loop();

  SQLite::Database& writer_;
  Connection connection_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  std::int64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace jobrunner
