// The floor: what SQLite itself allows for the claim/complete lifecycle on the same table, written
// straight against the sqlite3 C API with no engine, threads or JSON in the way.
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "children.h"

namespace jobrunner::bench {

namespace {

// The same statements as the durable engine's claim and complete, less the pause check.
constexpr const char* kClaim =
    "UPDATE jobs SET state = 'executing', attempt = attempt + 1, attempted_at = ?1, lease_owner = 'floor',"
    " lease_token = ?2, lease_expires_at = ?1 + 30000 WHERE id IN (SELECT id FROM jobs WHERE state = "
    "'available' AND queue = 'default' ORDER BY priority, scheduled_at, id LIMIT ?3) RETURNING id";
constexpr const char* kComplete =
    "UPDATE jobs SET state = 'completed', finished_at = ?1, result = NULL, lease_owner = NULL,"
    " lease_token = NULL, lease_expires_at = NULL WHERE id = ?2 AND state = 'executing' AND lease_token = ?3";

// The durable engine's insert of a new job, the row as insert_jobs() makes it.
constexpr const char* kInsert =
    "INSERT INTO jobs (queue, worker, args, state, priority, max_attempts, inserted_at, scheduled_at, meta,"
    " tags, unique_key) VALUES ('default', ?1, ?2, 'available', 0, 20, ?3, ?3, '{}', '[]', NULL)";

class Db {
 public:
  explicit Db(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) check(SQLITE_ERROR);
  }
  ~Db() {
    sqlite3_finalize(claim_);
    sqlite3_finalize(complete_);
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const char* sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr)); }

  void prepare() {
    check(sqlite3_prepare_v3(db_, kClaim, -1, SQLITE_PREPARE_PERSISTENT, &claim_, nullptr));
    check(sqlite3_prepare_v3(db_, kComplete, -1, SQLITE_PREPARE_PERSISTENT, &complete_, nullptr));
    check(sqlite3_prepare_v3(db_, kInsert, -1, SQLITE_PREPARE_PERSISTENT, &insert_, nullptr));
  }

  // One transaction: inserts jobs first..first+count-1, args {"n":i}, one statement each.
  void insert(std::int64_t first, std::int64_t count) {
    exec("BEGIN IMMEDIATE");
    const sqlite3_int64 now = SystemClock().now();
    for (std::int64_t i = first; i < first + count; ++i) {
      const std::string args = R"({"n":)" + std::to_string(i) + "}";
      sqlite3_bind_text(insert_, 1, kNoop, -1, SQLITE_STATIC);
      sqlite3_bind_text(insert_, 2, args.data(), static_cast<int>(args.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert_, 3, now);
      if (sqlite3_step(insert_) != SQLITE_DONE) check(SQLITE_ERROR);
      sqlite3_reset(insert_);
    }
    exec("COMMIT");
  }

  // One transaction: claims up to `batch` jobs and completes each. Returns how many it claimed.
  int cycle(int batch, sqlite3_int64 token) {
    exec("BEGIN IMMEDIATE");
    const sqlite3_int64 now = SystemClock().now();
    sqlite3_bind_int64(claim_, 1, now);
    sqlite3_bind_int64(claim_, 2, token);
    sqlite3_bind_int(claim_, 3, batch);
    ids_.clear();
    int rc = 0;
    while ((rc = sqlite3_step(claim_)) == SQLITE_ROW) ids_.push_back(sqlite3_column_int64(claim_, 0));
    if (rc != SQLITE_DONE) check(rc);
    sqlite3_reset(claim_);
    for (sqlite3_int64 id : ids_) {
      sqlite3_bind_int64(complete_, 1, now);
      sqlite3_bind_int64(complete_, 2, id);
      sqlite3_bind_int64(complete_, 3, token);
      if (sqlite3_step(complete_) != SQLITE_DONE || sqlite3_changes(db_) != 1) check(SQLITE_ERROR);
      sqlite3_reset(complete_);
    }
    exec("COMMIT");
    return static_cast<int>(ids_.size());
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK)
      fail(std::string("sqlite3 floor: ") + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* claim_ = nullptr;
  sqlite3_stmt* complete_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<sqlite3_int64> ids_;
};

// A connection to a database at `path` that the durable engine created (its schema, and `n` jobs
// waiting), set up as the engine sets up its own.
void open_floor(Db& db, const Settings& s) {
  db.exec(s.synchronous == Synchronous::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA cache_size = -16384");
  db.prepare();
}

void create_store(const Settings& s, const std::filesystem::path& path, std::int64_t n) {
  Settings durable = s;
  durable.engine = "durable";
  auto engine = open_engine(durable, path);
  if (n > 0) insert_jobs(*engine, n, kNoop);
}

double floor_rate(const Settings& s, std::int64_t n, int batch) {
  TempDir dir;
  const auto path = dir.file("floor.db");
  create_store(s, path, n);
  Db db(path);
  open_floor(db, s);
  const double began = seconds_now();
  std::int64_t done = 0;
  for (sqlite3_int64 token = 1; done < n; ++token) {
    const int claimed = db.cycle(batch, token);
    if (claimed == 0) fail("sqlite3 floor: ran out of jobs");
    done += claimed;
  }
  return static_cast<double>(n) / (seconds_now() - began);
}

}  // namespace

double insert_floor_rate(const Settings& s, std::int64_t n) {
  TempDir dir;
  const auto path = dir.file("floor.db");
  create_store(s, path, 0);
  Db db(path);
  open_floor(db, s);
  const double began = seconds_now();
  for (std::int64_t first = 0; first < n; first += kInsertBatch)
    db.insert(first, std::min(kInsertBatch, n - first));
  return static_cast<double>(n) / (seconds_now() - began);
}

Figures baseline_figures(const Settings& s, std::int64_t n) {
  const double one = floor_rate(s, n, 1);
  const double hundred = floor_rate(s, n, 100);
  // A runner of concurrency C finishes and claims at most C jobs in one transaction.
  const double at_concurrency = floor_rate(s, n, s.concurrency);
  return {{"tx1_jobs_per_s", one},
          {"tx100_jobs_per_s", hundred},
          {"txc_jobs_per_s", at_concurrency},
          {"jobs", n}};
}

}  // namespace jobrunner::bench
