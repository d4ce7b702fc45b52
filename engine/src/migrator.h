// Migrator: brings a database's schema to a version by the numbered migrations, and tells where
// it stands. The engine uses it at open; jobrunner-migrate exposes each operation.
//
// Applied migrations are recorded in the table jobrunner_migrations (version, name, checksum,
// applied_at). Each migration runs in its own BEGIN IMMEDIATE transaction, so another process
// migrating at the same moment waits and then finds the work done.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "jobrunner/clock.h"
#include "jobrunner/migrations.h"
#include "jobrunner/status.h"
#include "migrations_embedded.h"

namespace SQLite {
class Database;
}

namespace jobrunner {

struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;
  Timestamp applied_at = 0;
};

class Migrator {
 public:
  // REQUIRES: db outlives the Migrator; migrations are ordered 1, 2, 3 ... without gaps.
  explicit Migrator(SQLite::Database& db, std::span<const Migration> migrations = embedded_migrations());

  // The version the newest known migration brings a database to.
  int latest_version() const;

  // The highest applied version; 0 when nothing was ever applied.
  Result<int> current_version();
  Result<std::vector<AppliedMigration>> applied();
  Result<std::vector<MigrationState>> status();

  // ok, or schema_mismatch naming each applied migration whose checksum differs from this build's
  // (its .up.sql was edited after it ran) or that this build does not know.
  Status validate();

  // Applies the pending migrations up to `to` (latest when absent), oldest first. Returns those
  // applied or, with dry_run, those that would be. Stops at the first failure, keeping the
  // migrations applied before it.
  Result<std::vector<Migration>> up(std::optional<int> to, Timestamp now, bool dry_run = false);

  // Reverts applied migrations above `to`, newest first. Returns those reverted or, with dry_run,
  // those that would be.
  Result<std::vector<Migration>> down(int to, bool dry_run = false);

 private:
  const Migration* find(int version) const;
  int current_version_in_transaction();

  SQLite::Database& db_;
  std::span<const Migration> migrations_;
};

}  // namespace jobrunner
