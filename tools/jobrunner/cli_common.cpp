#include "cli_common.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace jobrunner::cli {

int run_app(CLI::App& app, int argc, char** argv) {
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << name << ": " << e.what() << " (see `" << name << " --help`)\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return kExitUsage;
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

std::shared_ptr<Engine> open_durable(const std::string& path, bool migrate, Synchronous synchronous) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (fs::is_directory(p)) {
    throw RuntimeError("--db " + path + " is a directory: name a database file inside it, e.g. " +
                       (p / "jobrunner.db").string());
  }
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) {
      throw RuntimeError("cannot create the directory " + p.parent_path().string() +
                         " for the database: " + ec.message());
    }
  }
  SqliteOptions options;
  options.path = path;
  options.migrate = migrate;
  options.synchronous = synchronous;
  auto engine = open_sqlite_engine(options);
  if (!engine.is_ok()) throw RuntimeError(path + ": " + engine.status().message());
  return *engine;
}

json parse_json_object(const std::string& text, const std::string& what) {
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception& e) {
    throw UsageError(what + " is not valid JSON: " + e.what());
  }
  if (!value.is_object()) throw UsageError(what + " must be a JSON object, not " + value.type_name());
  return value;
}

void check(const Status& s, const std::string& doing) {
  if (s.is_ok()) return;
  if (s.code() == StatusCode::invalid_argument) throw UsageError(doing + ": " + s.message());
  throw RuntimeError(doing + ": " + s.message());
}

}  // namespace jobrunner::cli
