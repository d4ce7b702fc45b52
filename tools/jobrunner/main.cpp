#include <iostream>

#include "cli_common.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace jobrunner::cli;
  CLI::App app{
      "jobrunner: background jobs that survive restarts.\n"
      "Run the daemon with `jobrunner run`; work on its database from another shell with the other "
      "commands."};
  app.name("jobrunner");  // not argv[0]: help reads the same however the binary was called
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every command");
  add_run_command(app);
  add_enqueue_commands(app);
  add_jobs_commands(app);
  add_queue_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "jobrunner: " << e.what() << " (see `jobrunner --help`)\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "jobrunner: " << e.what() << '\n';
    return kExitUsage;
  } catch (const RuntimeError& e) {
    std::cerr << "jobrunner: " << e.what() << '\n';
    return kExitRuntime;
  } catch (const std::exception& e) {
    std::cerr << "jobrunner: unexpected error: " << e.what() << '\n';
    return kExitRuntime;
  }
  return kExitOk;
}
