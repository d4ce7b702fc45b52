// Checkpointer: copies the WAL back into the database file on a thread of its own.
//
// SQLite's automatic checkpoint runs inside the commit that crosses the WAL's size threshold, so
// one writer in a thousand would pay for copying pages and syncing the file while holding the
// write lock. Instead the writing connection's WAL hook asks this thread, which runs a PASSIVE
// checkpoint on its own connection: it never takes the write lock, never waits on readers, and a
// checkpoint that cannot finish (a reader holds an old snapshot) is simply tried again later.
//
// A pass is asked for each time the WAL has grown by kFrames pages since the last request, not on
// every commit past the threshold: each pass begins by syncing the WAL, and asking on every commit
// kept the thread syncing back to back. A writer that never pauses can outrun the thread, and the
// WAL only starts over once every frame is copied, so past kWaitFrames the committing writer waits
// for a pass that starts after its commit: nothing is written meanwhile (the writer is this
// process's only one), so that pass copies the whole WAL and the next write starts it over.
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
  // The WAL growth, in pages, that asks for a pass (SQLite's default threshold, 4 MiB).
  static constexpr int kFrames = 1000;
  // The WAL size, in pages, from which a commit waits for a pass (12 MiB).
  static constexpr int kWaitFrames = 3 * kFrames;

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
  // Asks for a pass; returns the ticket that a pass started after this call completes.
  std::int64_t request();
  void wait_for(std::int64_t ticket);
  void loop();

  SQLite::Database& writer_;
  Connection connection_;
  // The WAL's size when a pass was last asked for; touched only by the writer's hook.
  int requested_at_frames_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t requested_ = 0;  // tickets handed out
  std::int64_t done_ = 0;       // every ticket up to this one has had its pass
  bool stopping_ = false;
  std::int64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace jobrunner
