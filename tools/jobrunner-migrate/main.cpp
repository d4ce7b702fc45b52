// jobrunner-migrate: shows, applies and reverts the schema migrations of a jobrunner database,
// backs it up before each change, and moves jobs in and out as JSON lines.
#include <fstream>
#include <iostream>

#include "cli_common.h"
#include "jobrunner/migrations.h"
#include "jobrunner/time_text.h"
#include "text_table.h"

namespace jobrunner::cli {

namespace {

struct Flags {
  std::string db;
  int busy_timeout_ms = 5'000;
  bool dry_run = false;
  bool no_backup = false;
  bool json_out = false;
  std::optional<int> to;
  bool force_data_loss = false;
  std::string format = "jsonl";
  std::string file;  // export's output or import's input; empty for stdout or stdin
};

// A missing or empty file where one is needed, or a directory, is a database error (exit 3) like
// every other file that cannot be used.
std::unique_ptr<MigrationDatabase> open_database(const Flags& f, bool create) {
  if (f.db.empty()) throw UsageError("--db is empty: name the database file, e.g. ./data/jobrunner.db");
  check_not_special(f.db);
  auto db =
      MigrationDatabase::open({.path = f.db, .create = create, .busy_timeout = Millis(f.busy_timeout_ms)});
  if (!db.is_ok() && db.status().code() == StatusCode::not_found) {
    throw DatabaseError("cannot open the database: " + db.status().message());
  }
  return check(std::move(db), "cannot open the database");
}

int current(MigrationDatabase& db) { return check(db.current_version(), "cannot read the schema version"); }

// Dry runs print the SQL as it would run, each step under a comment that names it.
void print_plan(const std::vector<MigrationStep>& plan, const char* direction) {
  for (const MigrationStep& step : plan) {
    std::cout << "-- migration " << step.version << " (" << step.name << "), " << direction << '\n';
    if (step.drops_data && std::string_view(direction) == "down") {
      std::cout << "-- drops data: the real run needs --force-data-loss\n";
    }
    std::cout << step.sql << (step.sql.ends_with('\n') ? "" : "\n");
  }
  std::cout << "-- dry run: nothing was changed\n";
}

// The backup before a change, unless --no-backup; says where it is.
void backup(MigrationDatabase& db, const Flags& f) {
  if (f.no_backup) return;
  const std::string path = check(db.backup(SystemClock().now()),
                                 "cannot back up the database before changing it (free space or fix the "
                                 "directory's permissions, or pass --no-backup)");
  if (!path.empty()) std::cout << "backup: " << path << '\n';
}

void report(MigrationDatabase& db, const std::vector<MigrationStep>& done, const char* verb) {
  for (const MigrationStep& step : done)
    std::cout << verb << ' ' << step.version << " (" << step.name << ")\n";
  std::cout << "database at version " << current(db) << " of " << db.latest_version() << '\n';
}

json status_json(const Flags& f, MigrationDatabase& db, const std::vector<MigrationState>& states) {
  json migrations = json::array();
  for (const MigrationState& s : states) {
    migrations.push_back(
        {{"version", s.version},
         {"name", s.name},
         {"known", s.known},
         {"applied", s.applied},
         {"applied_at", s.applied_at ? json(format_timestamp(*s.applied_at)) : json(nullptr)},
         {"checksum_matches", s.checksum_matches}});
  }
  return {{"database", f.db},
          {"version", current(db)},
          {"latest", db.latest_version()},
          {"migrations", migrations}};
}

void status(const Flags& f) {
  auto db = open_database(f, false);
  auto states = check(db->status(), "cannot read the applied migrations");
  if (f.json_out) {
    std::cout << status_json(f, *db, states).dump(2) << '\n';
  } else {
    std::cout << "database " << f.db << ": version " << current(*db) << ", this build's latest "
              << db->latest_version() << "\n\n";
    TextTable table({"VERSION", "NAME", "STATE", "APPLIED_AT"});
    for (const MigrationState& s : states) {
      std::string state = !s.applied            ? "pending"
                          : !s.known            ? "applied, unknown to this build"
                          : !s.checksum_matches ? "applied, checksum differs"
                                                : "applied";
      table.add({std::to_string(s.version), s.name, state, time_text(s.applied_at)});
    }
    table.print(std::cout);
  }
  check(db->validate(), "the database does not match this build");
}

void validate(const Flags& f) {
  auto db = open_database(f, false);
  check(db->validate(), "validation failed");
  std::cout << "ok: version " << current(*db) << ", every applied migration matches this build\n";
}

void up(const Flags& f) {
  auto db = open_database(f, true);
  auto plan = check(db->plan_up(f.to), "cannot migrate up");
  if (f.dry_run) return print_plan(plan, "up");
  if (plan.empty()) {
    std::cout << "database at version " << current(*db) << ": nothing to apply\n";
    return;
  }
  backup(*db, f);
  report(*db, check(db->up(f.to, SystemClock().now()), "migrating up stopped"), "applied");
}

void down(const Flags& f) {
  auto db = open_database(f, false);
  if (const int version = current(*db); *f.to > version) {
    throw UsageError("--to " + std::to_string(*f.to) + " is above the database's version " +
                     std::to_string(version) + ": down goes back to an older version (up goes forward)");
  }
  if (f.dry_run) return print_plan(check(db->plan_down(*f.to, true), "cannot migrate down"), "down");
  if (check(db->plan_down(*f.to, f.force_data_loss), "cannot migrate down").empty()) {
    std::cout << "database at version " << current(*db) << ": nothing to revert\n";
    return;
  }
  backup(*db, f);
  report(*db, check(db->down(*f.to, f.force_data_loss), "migrating down stopped"), "reverted");
}

void export_jobs(const Flags& f) {
  auto db = open_database(f, false);
  if (f.file.empty()) {
    std::cerr << check(db->export_jobs(std::cout), "cannot export jobs") << " jobs exported\n";
    return;
  }
  std::ofstream out(f.file);
  if (!out) throw RuntimeError("cannot write " + f.file);
  std::cout << check(db->export_jobs(out), "cannot export jobs") << " jobs exported to " << f.file << '\n';
}

void import_jobs(const Flags& f) {
  if (f.dry_run) throw UsageError("import has no dry run");
  std::ifstream file;
  if (!f.file.empty()) {
    file.open(f.file);
    if (!file) throw UsageError("cannot read " + f.file);
  }
  auto db = open_database(f, false);
  check(db->check_latest(), "nothing was imported");
  backup(*db, f);
  std::istream& in = f.file.empty() ? std::cin : file;
  std::cout << check(db->import_jobs(in), "nothing was imported") << " jobs imported\n";
}

}  // namespace

}  // namespace jobrunner::cli

int main(int argc, char** argv) {
  using namespace jobrunner::cli;
  CLI::App app{
      "jobrunner-migrate: the schema of a jobrunner database. Every change is backed up first, and "
      "each migration runs in its own transaction."};
  app.name("jobrunner-migrate");
  app.require_subcommand(1);
  // Shared flags may come before or after the command.
  app.fallthrough();
  Flags f;
  add_db_option(app, f.db);
  app.add_option("--busy-timeout", f.busy_timeout_ms,
                 "Milliseconds to wait for another process's write lock (another migrator, a daemon)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3'600'000));
  app.add_flag("--dry-run", f.dry_run, "Print the SQL up or down would run; change nothing");
  app.add_flag("--no-backup", f.no_backup, "Change the database without backing it up first");

  CLI::App* status_cmd =
      app.add_subcommand("status", "The schema version and each migration, applied or pending");
  status_cmd->add_flag("--json", f.json_out, "Print {database, version, latest, migrations: [...]}");
  status_cmd->callback([&] { status(f); });

  app.add_subcommand("validate", "Check that every applied migration is one of this build's, unchanged")
      ->callback([&] { validate(f); });

  CLI::App* up_cmd = app.add_subcommand("up", "Apply the pending migrations (creates a missing database)");
  up_cmd->add_option("--to", f.to, "Stop at this version (default: the latest)");
  up_cmd->callback([&] { up(f); });

  CLI::App* down_cmd = app.add_subcommand("down", "Revert the migrations above a version");
  down_cmd->add_option("--to", f.to, "The version to go back to (0 removes the schema)")->required();
  down_cmd->add_flag("--force-data-loss", f.force_data_loss, "Allow a revert that drops jobs");
  down_cmd->callback([&] { down(f); });

  CLI::App* export_cmd = app.add_subcommand("export", "Write every job, with its checkpoint, as JSON lines");
  export_cmd->add_option("--format", f.format, "jsonl (one job per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"jsonl"}));
  export_cmd->add_option("-o,--output", f.file, "File to write (default: stdout)");
  export_cmd->callback([&] { export_jobs(f); });

  CLI::App* import_cmd = app.add_subcommand("import", "Insert the jobs of `export` lines, all or none");
  import_cmd->add_option("-i,--input", f.file, "File to read (default: stdin)");
  import_cmd->callback([&] { import_jobs(f); });

  return run_app(app, argc, argv);
}
