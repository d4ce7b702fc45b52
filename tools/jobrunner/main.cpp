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
  return run_app(app, argc, argv);
}
