#include "migrator.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <map>

#include "sqlite_errors.h"

namespace jobrunner {

namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS jobrunner_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL)";

bool has_table(SQLite::Database& db) { return db.tableExists("jobrunner_migrations"); }

std::string describe(const Migration& m) {
  return std::to_string(m.version) + " (" + std::string(m.name) + ")";
}

}  // namespace

Migrator::Migrator(SQLite::Database& db, std::span<const Migration> migrations)
    : db_(db), migrations_(migrations) {}

int Migrator::latest_version() const { return migrations_.empty() ? 0 : migrations_.back().version; }

const Migration* Migrator::find(int version) const {
  if (version < 1 || version > latest_version()) return nullptr;
  return &migrations_[static_cast<std::size_t>(version - 1)];
}

int Migrator::current_version_in_transaction() {
  if (!has_table(db_)) return 0;
  SQLite::Statement q(db_, "SELECT coalesce(max(version), 0) FROM jobrunner_migrations");
  q.executeStep();
  return q.getColumn(0).getInt();
}

Result<int> Migrator::current_version() {
  try {
    return current_version_in_transaction();
  } catch (...) {
    return status_from_current_exception("reading the schema version");
  }
}

Result<std::vector<AppliedMigration>> Migrator::applied() {
  try {
    std::vector<AppliedMigration> out;
    if (!has_table(db_)) return out;
    SQLite::Statement q(
        db_, "SELECT version, name, checksum, applied_at FROM jobrunner_migrations ORDER BY version");
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getInt64()});
    }
    return out;
  } catch (...) {
    return status_from_current_exception("reading the applied migrations");
  }
}

Result<std::vector<MigrationState>> Migrator::status() {
  auto done = applied();
  if (!done.is_ok()) return done.status();
  std::map<int, MigrationState> by_version;
  for (const Migration& m : migrations_) {
    by_version[m.version] = {m.version, std::string(m.name), true, false, std::nullopt, true};
  }
  for (const AppliedMigration& a : *done) {
    MigrationState& s = by_version[a.version];
    s.version = a.version;
    if (s.name.empty()) s.name = a.name;
    s.applied = true;
    s.applied_at = a.applied_at;
    const Migration* m = find(a.version);
    s.checksum_matches = m != nullptr && m->checksum == a.checksum;
  }
  std::vector<MigrationState> out;
  for (auto& [version, s] : by_version) out.push_back(std::move(s));
  return out;
}

Status Migrator::validate() {
  auto states = status();
  if (!states.is_ok()) return states.status();
  std::string problems;
  for (const MigrationState& s : *states) {
    if (!s.applied) continue;
    if (!s.known) {
      problems += "; migration " + std::to_string(s.version) + " (" + s.name + ") is not known to this build";
    } else if (!s.checksum_matches) {
      problems += "; migration " + std::to_string(s.version) + " (" + s.name +
                  ") was applied from a different .up.sql than this build's (checksum differs)";
    }
  }
  if (problems.empty()) return Status::ok();
  return {StatusCode::schema_mismatch, "the database's migrations do not match this build" + problems};
}

Result<std::vector<Migration>> Migrator::up(std::optional<int> to, Timestamp now, bool dry_run) {
  const int target = to.value_or(latest_version());
  if (target < 0 || target > latest_version()) {
    return Status::invalid("cannot migrate up to version " + std::to_string(target) +
                           ": this build knows 1 to " + std::to_string(latest_version()));
  }
  if (Status s = validate(); !s.is_ok()) return s;
  std::vector<Migration> done;
  const Migration* step = nullptr;
  try {
    int current = current_version_in_transaction();
    for (int v = current + 1; v <= target; ++v) {
      step = find(v);
      if (dry_run) {
        done.push_back(*step);
        continue;
      }
      SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
      db_.exec(kCreateTable);
      // Another process may have migrated while this one waited for the write lock.
      if (current_version_in_transaction() >= v) continue;
      db_.exec(std::string(step->up_sql));
      SQLite::Statement record(db_,
                               "INSERT INTO jobrunner_migrations (version, name, checksum, applied_at)"
                               " VALUES (?, ?, ?, ?)");
      record.bind(1, step->version);
      record.bind(2, std::string(step->name));
      record.bind(3, std::string(step->checksum));
      record.bind(4, static_cast<std::int64_t>(now));
      record.exec();
      tx.commit();
      done.push_back(*step);
    }
    return done;
  } catch (...) {
    return status_from_current_exception(step ? "applying migration " + describe(*step) : "migrating up");
  }
}

Result<std::vector<Migration>> Migrator::down(int to, bool dry_run) {
  if (to < 0) return Status::invalid("cannot migrate down to a negative version");
  std::vector<Migration> done;
  const Migration* step = nullptr;
  try {
    const int current = current_version_in_transaction();
    if (current > latest_version()) {
      return Status{StatusCode::schema_mismatch,
                    "the database is at version " + std::to_string(current) + ", newer than this build (" +
                        std::to_string(latest_version()) + "): use the jobrunner-migrate that wrote it"};
    }
    for (int v = current; v > to; --v) {
      step = find(v);
      if (dry_run) {
        done.push_back(*step);
        continue;
      }
      SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
      if (current_version_in_transaction() != v) continue;
      db_.exec(std::string(step->down_sql));
      SQLite::Statement forget(db_, "DELETE FROM jobrunner_migrations WHERE version = ?");
      forget.bind(1, v);
      forget.exec();
      tx.commit();
      done.push_back(*step);
    }
    return done;
  } catch (...) {
    return status_from_current_exception(step ? "reverting migration " + describe(*step) : "migrating down");
  }
}

}  // namespace jobrunner
