// FaultVfs: SQLite's default VFS wrapped so that a test makes writes or syncs fail on demand.
//
// install() registers the wrapper as the process's default VFS, so every connection opened after
// it — the durable engine's included, with no engine option — goes through the wrapper. Until a
// test arms a fault, and again after clear(), every call passes straight through. The model is
// SQLite's own test harness (a countdown to the first I/O error, then one failure or failures that
// persist) and LevelDB's fault-injecting Env; only writes and syncs are failed, reads always work.
//
//   FaultVfs& vfs = FaultVfs::install();  // before the engine is opened
//   auto engine = open_durable_engine(path);
//   vfs.arm({.file = FaultFile::wal, .error = FaultError::disk_full});
//   ... every write to the WAL now fails with SQLITE_FULL ...
//   vfs.clear();
#pragma once

#include <condition_variable>
#include <mutex>

#include "jobrunner/clock.h"

namespace jobrunner::testing {

// Which of a database's files a fault hits. The -shm index is never failed: SQLite maps it to
// memory and does not write it through xWrite.
enum class FaultFile { database, wal, both };

enum class FaultCall { write, sync };

// What the failing call returns: an I/O error (SQLITE_IOERR_WRITE, or SQLITE_IOERR_FSYNC for a
// sync), or a full disk (SQLITE_FULL).
enum class FaultError { io_error, disk_full };

struct Fault {
  FaultFile file = FaultFile::both;
  FaultCall call = FaultCall::write;
  FaultError error = FaultError::io_error;
  int after = 0;   // matching calls that succeed before the first failure
  int times = -1;  // how many matching calls fail after that; -1: every one until clear()
};

class FaultVfs {
 public:
  // The process's fault VFS, registered as SQLite's default VFS on the first call. Connections
  // opened before that call do not go through it.
  static FaultVfs& install();

  // Replaces any fault armed before; the counts start again from zero.
  void arm(const Fault& fault);
  // Lets every call through again.
  void clear();

  // Calls failed since the last arm().
  int failures() const;
  // Blocks (in real time, at most `limit`) until failures() >= n. Returns false at the limit.
  bool wait_for_failures(int n, Millis limit = Millis(20'000)) const;

  // Used by the VFS's file methods: the SQLite result code for this call, SQLITE_OK to let it through.
  int check(FaultFile file, FaultCall call);

 private:
  FaultVfs() = default;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool armed_ = false;
  Fault fault_;
  int passed_ = 0;
  int failures_ = 0;
};

}  // namespace jobrunner::testing
