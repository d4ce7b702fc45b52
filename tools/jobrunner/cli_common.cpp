#include "cli_common.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace jobrunner::cli {

namespace {

namespace fs = std::filesystem;

std::string command_names(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

// CLI11 reports a word that names no command as "a subcommand is required"; say which word it was.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  if (app.get_subcommands().empty() && !app.get_subcommands([](const CLI::App*) { return true; }).empty()) {
    for (const std::string& word : app.remaining()) {
      if (!word.starts_with("-"))
        return "unknown command '" + word + "' (commands: " + command_names(app) + ")";
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && app.remaining().empty()) {
      return "a command is required: " + command_names(app);
    }
  }
  return e.what();
}

// The directory SQLite creates the -wal and -shm files in.
fs::path directory_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

void check_writable_directory(const fs::path& dir, const std::string& path) {
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    throw DatabaseError("cannot use " + path + ": the directory " + dir.string() +
                        " is not writable by this user, and SQLite keeps the database's -wal and -shm "
                        "files beside it; fix its permissions or choose another --db");
  }
}

}  // namespace

int run_app(CLI::App& app, int argc, char** argv) {
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << name << ": " << parse_error_message(app, e) << " (see `" << name << " --help`)\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return kExitUsage;
  } catch (const DatabaseError& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return kExitDatabase;
  } catch (const RuntimeError& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return kExitRuntime;
  } catch (const std::exception& e) {
    std::cerr << name << ": unexpected error: " << e.what() << '\n';
    return kExitRuntime;
  }
  return kExitOk;
}

std::string default_db_path() {
  const char* env = std::getenv("JOBRUNNER_DB");
  return env != nullptr && *env != '\0' ? env : "./data/jobrunner.db";
}

CLI::Option* add_db_option(CLI::App& command, std::string& db) {
  db = default_db_path();
  return command.add_option("--db", db, "Database file ($JOBRUNNER_DB, else ./data/jobrunner.db)");
}

Synchronous parse_synchronous(const std::string& text, const std::string& source) {
  if (text == "normal") return Synchronous::normal;
  if (text == "full") return Synchronous::full;
  throw UsageError(source + ": '" + text +
                   "' is not normal or full (full also survives power loss, at the cost of a sync per commit)");
}

Synchronous default_synchronous() {
  const char* env = std::getenv("JOBRUNNER_SYNCHRONOUS");
  if (env == nullptr || *env == '\0') return Synchronous::normal;
  return parse_synchronous(env, "JOBRUNNER_SYNCHRONOUS");
}

void check_not_special(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) {
    throw DatabaseError("--db " + path + " is a directory: name a database file inside it, e.g. " +
                        (fs::path(path) / "jobrunner.db").string());
  }
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    throw DatabaseError("--db " + path +
                        " is not a regular file (a device, FIFO or socket): name a database file");
  }
}

void check_database_path(const std::string& path, Create create) {
  if (path.empty()) throw UsageError("--db is empty: name the database file, e.g. ./data/jobrunner.db");
  check_not_special(path);
  const fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) {
    if (create == Create::no) {
      throw DatabaseError(
          "no database at " + path +
          ": `jobrunner run` or `jobrunner enqueue` creates one; check --db (or $JOBRUNNER_DB)");
    }
    const fs::path dir = directory_of(p);
    fs::create_directories(dir, ec);
    if (ec) {
      throw DatabaseError("cannot create the directory " + dir.string() +
                          " for the database: " + ec.message());
    }
    return check_writable_directory(dir, path);
  }
  if (create == Create::no && fs::file_size(p, ec) == 0) {
    throw DatabaseError(path +
                        " is empty: it holds no jobrunner database yet; check --db (or $JOBRUNNER_DB)");
  }
  if (access(path.c_str(), R_OK | W_OK) != 0) {
    throw DatabaseError("cannot use " + path +
                        ": it is not readable and writable by this user (jobrunner writes to it even to "
                        "read, through SQLite's WAL); fix its permissions or run as its owner");
  }
  check_writable_directory(directory_of(p), path);
}

std::shared_ptr<Engine> open_durable(const std::string& path, Create create, bool migrate,
                                     Synchronous synchronous) {
  check_database_path(path, create);
  SqliteOptions options;
  options.path = path;
  options.migrate = migrate;
  options.synchronous = synchronous;
  options.synchronous = synchronous;
  auto engine = open_sqlite_engine(options);
  // SQLite calls a damaged file "malformed"; say what to do about it.
  if (!engine.is_ok() && engine.status().code() == StatusCode::corrupt &&
      engine.status().message().find("malformed") != std::string::npos) {
    throw DatabaseError(path + " is damaged (" + engine.status().message() +
                        "); it was left untouched: restore it from a backup (jobrunner-migrate writes one "
                        "beside it before each change)");
  }
  return check(std::move(engine), path);
}

json parse_json_object(const std::string& text, const std::string& what) {
  if (text.size() > kMaxArgsBytes) {
    throw UsageError(what + " is " + std::to_string(text.size()) + " bytes, over the limit of " +
                     std::to_string(kMaxArgsBytes) + " (1 MiB) for job args");
  }
  json value;
  try {
    value = json::parse(text);  // nlohmann's parser keeps its own stack, so any depth parses
  } catch (const json::exception& e) {
    throw UsageError(what + " is not valid JSON: " + e.what());
  }
  if (!value.is_object()) throw UsageError(what + " must be a JSON object, not " + value.type_name());
  check(check_json_limits(value, what), "cannot enqueue");
  return value;
}

void check(const Status& s, const std::string& doing) {
  if (s.is_ok()) return;
  const std::string message = doing + ": " + s.message();
  switch (s.code()) {
    case StatusCode::invalid_argument: throw UsageError(message);
    case StatusCode::corrupt:
    case StatusCode::schema_mismatch:
    case StatusCode::io_error:
    case StatusCode::disk_full: throw DatabaseError(message);
    default: throw RuntimeError(message);
  }
}

}  // namespace jobrunner::cli
