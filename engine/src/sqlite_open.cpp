// Opening a durable engine: what the file holds is learned by reading only, and nothing is written
// to a file that is refused.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "jobrunner/sqlite_engine.h"
#include "migrator.h"
#include "sqlite_engine_impl.h"
#include "sqlite_errors.h"

namespace jobrunner {

namespace {

// What the file at options.path holds, learned by reading only.
struct Inspection {
  bool empty = false;  // no tables at all (or only an empty migrations table): a new database
  int version = 0;
};

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Throws SQLite::Exception when the file cannot be read (SQLITE_NOTADB when it is not SQLite).
Result<Inspection> inspect(SQLite::Database& db, Migrator& migrator, const std::string& path) {
  std::vector<std::string> tables;
  SQLite::Statement q(
      db,
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
      " AND name != 'jobrunner_migrations' ORDER BY name");
  while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
  auto version = migrator.current_version();
  if (!version.is_ok()) return version.status();
  const bool has_migrations = db.tableExists("jobrunner_migrations");
  if (*version == 0 && tables.empty()) return Inspection{true, 0};
  if (!has_migrations || *version == 0) {
    return Status{StatusCode::corrupt,
                  path + " is a SQLite database but not a jobrunner one (it has tables " + list(tables) +
                      "); it was left untouched: give jobrunner a new file or one it created"};
  }
  return Inspection{false, *version};
}

// Refuses a schema this build cannot use; reads only.
Status check_schema(const Inspection& found, Migrator& migrator, const SqliteOptions& options) {
  const int latest = migrator.latest_version();
  if (found.version > latest) {
    return {StatusCode::schema_mismatch,
            "database schema is version " + std::to_string(found.version) + ", newer than this build's " +
                std::to_string(latest) + ": it was written by a newer jobrunner; run that version instead"};
  }
  if (found.version < latest && !found.empty && !options.migrate) {
    return {StatusCode::schema_mismatch, "database schema is version " + std::to_string(found.version) +
                                             ", this build needs " + std::to_string(latest) +
                                             ": run `jobrunner-migrate up` (or start with --migrate)"};
  }
  return migrator.validate();
}

// Switching to WAL takes an exclusive lock, so it is done only when the file is not in WAL yet.
void enable_wal(SQLite::Database& db) {
  std::string mode;
  {
    SQLite::Statement q(db, "PRAGMA journal_mode");
    if (q.executeStep()) mode = q.getColumn(0).getString();
  }
  if (mode != "wal") db.exec("PRAGMA journal_mode = WAL");
}

}  // namespace

Result<std::shared_ptr<Engine>> open_sqlite_engine(const SqliteOptions& options) {
  if (options.path.empty()) return Status::invalid("SqliteOptions.path is empty: name the database file");
  if (options.busy_timeout.count() < 0) return Status::invalid("SqliteOptions.busy_timeout is negative");
  try {
    auto first = std::make_unique<Connection>(options, true);
    Migrator migrator(first->db());
    auto found = inspect(first->db(), migrator, options.path);
    if (!found.is_ok()) return found.status();
    if (Status s = check_schema(*found, migrator, options); !s.is_ok()) return s;

    // Only now, with the file known to be ours (or new), does anything get written.
    enable_wal(first->db());
    auto applied = migrator.up(std::nullopt, SystemClock().now());
    if (!applied.is_ok()) return applied.status();

    // Every write goes through this connection: a page cache of 16 MiB (SQLite's default is 2)
    // keeps the indexes that claims and finishes walk in memory.
    first->db().exec("PRAGMA cache_size = -16384");
    auto readers = std::make_shared<ConnectionPool>(options);
    auto watch = std::make_unique<Connection>(options, false);
    return make_sqlite_engine(options, std::move(readers), std::move(first), std::move(watch));
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xff) == SQLITE_NOTADB) {
      return Status{StatusCode::corrupt,
                    options.path + " is not a SQLite database (" + e.what() +
                        "); it was left untouched: give jobrunner a new file or one it created"};
    }
    return status_from_current_exception("opening " + options.path);
  } catch (...) {
    return status_from_current_exception("opening " + options.path);
  }
}

}  // namespace jobrunner
