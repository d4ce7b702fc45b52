#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <ctime>
#include <filesystem>
#include <memory>

#include "job_transfer.h"
#include "jobrunner/migrations.h"
#include "migrator.h"
#include "sqlite_errors.h"

namespace jobrunner {

namespace {

namespace fs = std::filesystem;

std::vector<MigrationStep> steps(const std::vector<Migration>& migrations, bool up) {
  std::vector<MigrationStep> out;
  for (const Migration& m : migrations) {
    out.push_back({m.version, std::string(m.name), std::string(up ? m.up_sql : m.down_sql), m.drops_data});
  }
  return out;
}

Result<std::vector<MigrationStep>> steps(Result<std::vector<Migration>> r, bool up) {
  if (!r.is_ok()) return r.status();
  return steps(*r, up);
}

// 20250102T030405.678Z: sorts by time, and has no character a file name cannot hold.
std::string utc_stamp(Timestamp ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(text) + millis;
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Why the file cannot be read (call inside a catch block).
Status unreadable(const std::string& path) {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    if ((e.getErrorCode() & 0xff) == SQLITE_NOTADB) {
      return {StatusCode::corrupt,
              path + " is not a SQLite database (" + e.what() + "); it was left untouched"};
    }
    if ((e.getErrorCode() & 0xff) == SQLITE_CORRUPT) {
      return {StatusCode::corrupt,
              path + " is damaged (" + e.what() + "); it was left untouched: restore it from a backup"};
    }
  } catch (...) {
  }
  return status_from_current_exception("reading " + path);
}

}  // namespace

struct MigrationDatabase::Impl {
  MigrationDatabaseOptions options;
  // A missing or empty file: read through an empty in-memory database, so that nothing (not even
  // the file) is created before the first change.
  bool is_new = false;
  SQLite::Database reader;
  std::unique_ptr<SQLite::Database> writer;

  Impl(MigrationDatabaseOptions o, bool fresh)
      : options(std::move(o)),
        is_new(fresh),
        reader(fresh ? ":memory:" : options.path, SQLite::OPEN_READONLY,
               static_cast<int>(options.busy_timeout.count())) {}

  // The connection that sees the latest state: the writer once a change has opened it.
  SQLite::Database& db() { return writer ? *writer : reader; }

  SQLite::Database& writable() {
    if (!writer) {
      writer = std::make_unique<SQLite::Database>(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                                  static_cast<int>(options.busy_timeout.count()));
    }
    return *writer;
  }

  // Reads only. A truncated or damaged file fails here, before anything is backed up or changed.
  Status check_readable() {
    std::vector<std::string> tables;
    SQLite::Statement q(reader,
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                        "ESCAPE '\\' AND name != 'jobrunner_migrations' ORDER BY name");
    while (q.executeStep()) tables.push_back(q.getColumn(0).getString());
    const std::string integrity = reader.execAndGet("PRAGMA quick_check").getString();
    if (integrity != "ok") {
      return {StatusCode::corrupt, options.path + " is damaged (" + integrity +
                                       "); it was left untouched: restore it from a backup"};
    }
    auto version = Migrator(reader).current_version();
    if (!version.is_ok()) return version.status();
    if (*version > 0) return Status::ok();
    if (!tables.empty()) {
      return {StatusCode::corrupt, options.path +
                                       " is a SQLite database but not a jobrunner one (it has tables " +
                                       list(tables) + "); it was left untouched"};
    }
    return Status{StatusCode::not_found,
                  options.path + " holds no jobrunner schema yet: `jobrunner-migrate up` creates it"};
  }

  // A database written by a newer build is never changed by this one.
  Status check_not_newer() {
    Migrator m(db());
    auto version = m.current_version();
    if (!version.is_ok()) return version.status();
    if (*version <= m.latest_version()) return Status::ok();
    return {StatusCode::schema_mismatch, "the database schema is version " + std::to_string(*version) +
                                             ", newer than this build's " +
                                             std::to_string(m.latest_version()) +
                                             ": it was written by a newer jobrunner; use that version's "
                                             "jobrunner-migrate"};
  }
};

MigrationDatabase::MigrationDatabase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MigrationDatabase::~MigrationDatabase() = default;

Result<std::unique_ptr<MigrationDatabase>> MigrationDatabase::open(const MigrationDatabaseOptions& options) {
  const fs::path path(options.path);
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (exists && fs::is_directory(path, ec)) {
    return Status::invalid(options.path + " is a directory: name the database file inside it");
  }
  const bool fresh = !exists || fs::file_size(path, ec) == 0;
  if (fresh && !options.create) {
    return Status{StatusCode::not_found, options.path + (exists ? " is empty" : " does not exist") +
                                             ": it holds no jobrunner database (`jobrunner-migrate up` "
                                             "creates one)"};
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (fresh && !fs::is_directory(dir, ec)) {
    return Status{StatusCode::io_error, "the directory " + dir.string() + " does not exist: create it first"};
  }
  try {
    auto impl = std::make_unique<Impl>(options, fresh);
    if (!fresh) {
      if (Status s = impl->check_readable();
          !s.is_ok() && !(options.create && s.code() == StatusCode::not_found)) {
        return s;
      }
    }
    return std::unique_ptr<MigrationDatabase>(new MigrationDatabase(std::move(impl)));
  } catch (...) {
    return unreadable(options.path);
  }
}

int MigrationDatabase::latest_version() const { return Migrator(impl_->reader).latest_version(); }

Result<int> MigrationDatabase::current_version() { return Migrator(impl_->db()).current_version(); }

Result<std::vector<MigrationState>> MigrationDatabase::status() { return Migrator(impl_->db()).status(); }

Status MigrationDatabase::validate() {
  if (Status s = impl_->check_not_newer(); !s.is_ok()) return s;
  return Migrator(impl_->db()).validate();
}

Result<std::vector<MigrationStep>> MigrationDatabase::plan_up(std::optional<int> to) {
  if (Status s = impl_->check_not_newer(); !s.is_ok()) return s;
  return steps(Migrator(impl_->db()).up(to, 0, true), true);
}

Result<std::vector<MigrationStep>> MigrationDatabase::plan_down(int to, bool force_data_loss) {
  if (Status s = validate(); !s.is_ok()) return s;
  auto plan = steps(Migrator(impl_->db()).down(to, true), false);
  if (!plan.is_ok() || force_data_loss) return plan;
  for (const MigrationStep& step : *plan) {
    if (step.drops_data) {
      return Status::invalid("reverting migration " + std::to_string(step.version) + " (" + step.name +
                             ") drops data; nothing was changed: back the database up, then pass "
                             "--force-data-loss");
    }
  }
  return plan;
}

Result<std::vector<MigrationStep>> MigrationDatabase::up(std::optional<int> to, Timestamp now) {
  auto plan = plan_up(to);
  if (!plan.is_ok() || plan->empty()) return plan;
  try {
    return steps(Migrator(impl_->writable()).up(to, now), true);
  } catch (...) {
    return unreadable(impl_->options.path);
  }
}

Result<std::vector<MigrationStep>> MigrationDatabase::down(int to, bool force_data_loss) {
  auto plan = plan_down(to, force_data_loss);
  if (!plan.is_ok() || plan->empty()) return plan;
  try {
    return steps(Migrator(impl_->writable()).down(to), false);
  } catch (...) {
    return unreadable(impl_->options.path);
  }
}

Result<std::string> MigrationDatabase::backup(Timestamp now) {
  if (impl_->is_new) return std::string();
  auto version = current_version();
  if (!version.is_ok()) return version.status();
  const std::string target =
      impl_->options.path + ".v" + std::to_string(*version) + "-" + utc_stamp(now) + ".bak";
  try {
    {
      SQLite::Database copy(target, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup(copy, impl_->db()).executeStep();
    }
    return target;
  } catch (...) {
    std::error_code ec;
    fs::remove(target, ec);
    return status_from_current_exception("writing the backup " + target);
  }
}

Status MigrationDatabase::check_latest() {
  if (Status s = validate(); !s.is_ok()) return s;
  Migrator m(impl_->db());
  auto version = m.current_version();
  if (!version.is_ok()) return version.status();
  if (*version == m.latest_version()) return Status::ok();
  return {StatusCode::schema_mismatch, "moving jobs needs the latest schema (version " +
                                           std::to_string(m.latest_version()) + "); the database is at " +
                                           std::to_string(*version) + ": run `jobrunner-migrate up` first"};
}

Result<std::int64_t> MigrationDatabase::export_jobs(std::ostream& out) {
  if (Status s = check_latest(); !s.is_ok()) return s;
  return export_job_lines(impl_->db(), out);
}

Result<std::int64_t> MigrationDatabase::import_jobs(std::istream& in) {
  if (Status s = check_latest(); !s.is_ok()) return s;
  try {
    return import_job_lines(impl_->writable(), in);
  } catch (...) {
    return unreadable(impl_->options.path);
  }
}

}  // namespace jobrunner
