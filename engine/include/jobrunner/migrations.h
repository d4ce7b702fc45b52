// MigrationDatabase: a durable database's schema seen from outside the engine, for
// jobrunner-migrate. It tells which migrations are applied, applies and reverts them, takes a
// backup, and moves jobs in and out as JSON lines.
//
// Nothing is ever written to a file it refuses: what a file holds is learned through a read-only
// connection, and a read-write one is opened only for a change, once the file is known to be a
// jobrunner database this build understands. Each migration runs in its own BEGIN IMMEDIATE
// transaction, so a failing one leaves the database at the version before it, and a second
// migrator (or a daemon writing) waits up to busy_timeout for the first.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobrunner/clock.h"
#include "jobrunner/status.h"

namespace jobrunner {

// One migration of this build, with the SQL a step up or down runs.
struct MigrationStep {
  int version = 0;
  std::string name;
  std::string sql;          // the .up.sql going up, the .down.sql going down
  bool drops_data = false;  // its .down.sql destroys rows (its first line: `-- jobrunner: drops-data`)
};

// One line of `jobrunner-migrate status`: a migration this build knows, a version the database
// records, or both.
struct MigrationState {
  int version = 0;
  std::string name;
  bool known = false;    // this build has the migration
  bool applied = false;  // the database records it
  std::optional<Timestamp> applied_at;
  bool checksum_matches = true;  // false when the applied migration differs from this build's
};

struct MigrationDatabaseOptions {
  // The database file. It must exist, unless create is set.
  std::string path;
  // A missing or empty file is a new database at version 0 (for `up`); otherwise it is refused.
  bool create = false;
  // How long a change waits for another process's write lock before reporting busy.
  Millis busy_timeout{5'000};
};

class MigrationDatabase {
 public:
  // Opens the file read-only and checks that it is a jobrunner database.
  // Returns not_found for a missing or empty file (unless options.create), corrupt for a file that
  // is not SQLite, is damaged or belongs to another program, io_error when it cannot be read.
  static Result<std::unique_ptr<MigrationDatabase>> open(const MigrationDatabaseOptions& options);
  ~MigrationDatabase();
  MigrationDatabase(const MigrationDatabase&) = delete;
  MigrationDatabase& operator=(const MigrationDatabase&) = delete;

  // The version the newest migration of this build brings a database to.
  int latest_version() const;
  // The highest applied version; 0 for a new database.
  Result<int> current_version();
  Result<std::vector<MigrationState>> status();
  // ok, or schema_mismatch naming each applied migration this build does not know or whose
  // .up.sql differs from this build's (checksum).
  Status validate();

  // The steps up(to) and down(to) would run, in order, running nothing. invalid_argument for a
  // version this build does not have, or for a down that drops data without force_data_loss;
  // schema_mismatch when validate() fails.
  Result<std::vector<MigrationStep>> plan_up(std::optional<int> to);
  Result<std::vector<MigrationStep>> plan_down(int to, bool force_data_loss);

  // Applies the pending migrations up to `to` (latest when absent), one transaction each; on a
  // failure the migrations before it stay applied. Returns the steps applied.
  Result<std::vector<MigrationStep>> up(std::optional<int> to, Timestamp now);
  // Reverts the migrations above `to`, newest first, refusing as plan_down() does.
  Result<std::vector<MigrationStep>> down(int to, bool force_data_loss);

  // A consistent copy of the database (SQLite's online backup) beside it, named
  // <file>.v<version>-<UTC time>.bak. Returns its path, or an empty string for a new database,
  // which has nothing to back up. A backup that cannot be written completely is removed.
  Result<std::string> backup(Timestamp now);

  // ok when the schema is this build's latest and validates, as export and import need; otherwise
  // schema_mismatch saying what to do.
  Status check_latest();

  // Writes every job as one JSON object per line, oldest first; returns how many.
  // REQUIRES: the schema is at latest_version().
  Result<std::int64_t> export_jobs(std::ostream& out);
  // Inserts the jobs of export_jobs() lines, all in one transaction (none on any error, which names
  // the line). Jobs get new ids; a job that was executing comes back available with its checkpoint.
  // REQUIRES: the schema is at latest_version().
  Result<std::int64_t> import_jobs(std::istream& in);

 private:
  struct Impl;
  explicit MigrationDatabase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobrunner
