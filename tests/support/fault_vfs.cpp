#include "support/fault_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <optional>
#include <stdexcept>

namespace jobrunner::testing {

namespace {

constexpr const char* kVfsName = "jobrunner-fault";

// An open file of the wrapper: SQLite allocates szOsFile bytes for it, this header followed by the
// real VFS's own file structure, which every call is passed on to.
struct ShimFile {
  sqlite3_file base;                // base.pMethods is kShimMethods once the real file is open
  sqlite3_file* real;               // the bytes right after this struct
  std::optional<FaultFile> target;  // the database or its WAL; none for journals and temp files
};

sqlite3_vfs* real_vfs(sqlite3_vfs* shim) { return static_cast<sqlite3_vfs*>(shim->pAppData); }
sqlite3_file* real_file(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f)->real; }
const sqlite3_io_methods& real_methods(sqlite3_file* f) { return *real_file(f)->pMethods; }

// The file methods: writes and syncs of a target file ask the fault plan first; everything else
// (reads, locks, the WAL's shared-memory index) goes straight to the real file.
int shim_close(sqlite3_file* f) { return real_methods(f).xClose(real_file(f)); }

int shim_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  return real_methods(f).xRead(real_file(f), buf, n, offset);
}

int shim_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  const auto& target = reinterpret_cast<ShimFile*>(f)->target;
  if (target) {
    if (int rc = FaultVfs::install().check(*target, FaultCall::write); rc != SQLITE_OK) return rc;
  }
  return real_methods(f).xWrite(real_file(f), buf, n, offset);
}

int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_methods(f).xTruncate(real_file(f), size);
}

int shim_sync(sqlite3_file* f, int flags) {
  const auto& target = reinterpret_cast<ShimFile*>(f)->target;
  if (target) {
    if (int rc = FaultVfs::install().check(*target, FaultCall::sync); rc != SQLITE_OK) return rc;
  }
  return real_methods(f).xSync(real_file(f), flags);
}

int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_methods(f).xFileSize(real_file(f), size);
}
int shim_lock(sqlite3_file* f, int level) { return real_methods(f).xLock(real_file(f), level); }
int shim_unlock(sqlite3_file* f, int level) { return real_methods(f).xUnlock(real_file(f), level); }
int shim_check_reserved(sqlite3_file* f, int* out) {
  return real_methods(f).xCheckReservedLock(real_file(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
  return real_methods(f).xFileControl(real_file(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) { return real_methods(f).xSectorSize(real_file(f)); }
int shim_device_characteristics(sqlite3_file* f) {
  return real_methods(f).xDeviceCharacteristics(real_file(f));
}
int shim_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_methods(f).xShmMap(real_file(f), region, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_methods(f).xShmLock(real_file(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) { real_methods(f).xShmBarrier(real_file(f)); }
int shim_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_methods(f).xShmUnmap(real_file(f), delete_flag);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  return real_methods(f).xFetch(real_file(f), offset, n, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_methods(f).xUnfetch(real_file(f), offset, p);
}

// Version 3: WAL mode needs the shared-memory methods (2) and SQLite may use memory-mapped reads (3).
// The unix VFS's files implement all three versions.
const sqlite3_io_methods kShimMethods = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device_characteristics,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

std::optional<FaultFile> target_of(int flags) {
  if (flags & SQLITE_OPEN_MAIN_DB) return FaultFile::database;
  if (flags & SQLITE_OPEN_WAL) return FaultFile::wal;
  return std::nullopt;
}

int shim_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* shim = reinterpret_cast<ShimFile*>(file);
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  shim->target = target_of(flags);
  const int rc = real_vfs(vfs)->xOpen(real_vfs(vfs), name, shim->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set, so it is set exactly when the real file needs closing.
  file->pMethods = shim->real->pMethods != nullptr ? &kShimMethods : nullptr;
  return rc;
}

// The VFS methods other than xOpen pass the call on to the real VFS.
sqlite3_vfs make_shim_vfs(sqlite3_vfs* real) {
  if (real->iVersion < 3) throw std::runtime_error("the default SQLite VFS is older than version 3");
  sqlite3_vfs v;
  std::memset(&v, 0, sizeof v);
  v.iVersion = 3;
  v.szOsFile = static_cast<int>(sizeof(ShimFile)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.zName = kVfsName;
  v.pAppData = real;
  v.xOpen = shim_open;
  v.xDelete = [](sqlite3_vfs* s, const char* n, int sync_dir) {
    return real_vfs(s)->xDelete(real_vfs(s), n, sync_dir);
  };
  v.xAccess = [](sqlite3_vfs* s, const char* n, int f, int* out) {
    return real_vfs(s)->xAccess(real_vfs(s), n, f, out);
  };
  v.xFullPathname = [](sqlite3_vfs* s, const char* n, int size, char* out) {
    return real_vfs(s)->xFullPathname(real_vfs(s), n, size, out);
  };
  v.xDlOpen = [](sqlite3_vfs* s, const char* n) { return real_vfs(s)->xDlOpen(real_vfs(s), n); };
  v.xDlError = [](sqlite3_vfs* s, int n, char* out) { real_vfs(s)->xDlError(real_vfs(s), n, out); };
  v.xDlSym = [](sqlite3_vfs* s, void* h, const char* n) { return real_vfs(s)->xDlSym(real_vfs(s), h, n); };
  v.xDlClose = [](sqlite3_vfs* s, void* h) { real_vfs(s)->xDlClose(real_vfs(s), h); };
  v.xRandomness = [](sqlite3_vfs* s, int n, char* out) {
    return real_vfs(s)->xRandomness(real_vfs(s), n, out);
  };
  v.xSleep = [](sqlite3_vfs* s, int us) { return real_vfs(s)->xSleep(real_vfs(s), us); };
  v.xCurrentTime = [](sqlite3_vfs* s, double* out) { return real_vfs(s)->xCurrentTime(real_vfs(s), out); };
  v.xGetLastError = [](sqlite3_vfs* s, int n, char* out) {
    return real_vfs(s)->xGetLastError(real_vfs(s), n, out);
  };
  v.xCurrentTimeInt64 = [](sqlite3_vfs* s, sqlite3_int64* out) {
    return real_vfs(s)->xCurrentTimeInt64(real_vfs(s), out);
  };
  v.xSetSystemCall = [](sqlite3_vfs* s, const char* n, sqlite3_syscall_ptr p) {
    return real_vfs(s)->xSetSystemCall(real_vfs(s), n, p);
  };
  v.xGetSystemCall = [](sqlite3_vfs* s, const char* n) {
    return real_vfs(s)->xGetSystemCall(real_vfs(s), n);
  };
  v.xNextSystemCall = [](sqlite3_vfs* s, const char* n) {
    return real_vfs(s)->xNextSystemCall(real_vfs(s), n);
  };
  return v;
}

int error_code(FaultError error, FaultCall call) {
  if (error == FaultError::disk_full) return SQLITE_FULL;
  return call == FaultCall::sync ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_WRITE;
}

}  // namespace

FaultVfs& FaultVfs::install() {
  static FaultVfs* instance = [] {
    // SQLite keeps a pointer to the VFS for the life of the process.
    static sqlite3_vfs shim = make_shim_vfs(sqlite3_vfs_find(nullptr));
    if (sqlite3_vfs_register(&shim, 1) != SQLITE_OK)
      throw std::runtime_error("cannot register the fault VFS");
    return new FaultVfs();
  }();
  return *instance;
}

void FaultVfs::arm(const Fault& fault) {
  std::lock_guard lock(mu_);
  armed_ = true;
  fault_ = fault;
  passed_ = 0;
  failures_ = 0;
}

void FaultVfs::clear() {
  std::lock_guard lock(mu_);
  armed_ = false;
}

int FaultVfs::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

bool FaultVfs::wait_for_failures(int n, Millis limit) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return failures_ >= n; });
}

int FaultVfs::check(FaultFile file, FaultCall call) {
  std::lock_guard lock(mu_);
  if (!armed_ || fault_.call != call || (fault_.file != FaultFile::both && fault_.file != file))
    return SQLITE_OK;
  if (passed_ < fault_.after) {
    ++passed_;
    return SQLITE_OK;
  }
  if (fault_.times >= 0 && failures_ >= fault_.times) return SQLITE_OK;
  ++failures_;
  cv_.notify_all();
  return error_code(fault_.error, call);
}

}  // namespace jobrunner::testing
