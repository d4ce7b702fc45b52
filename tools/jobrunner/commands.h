// The jobrunner subcommands, each added to the CLI11 app by one function.
#pragma once

#include <CLI/CLI.hpp>

namespace jobrunner::cli {

// `jobrunner run`: the daemon.
void add_run_command(CLI::App& app);
// `jobrunner enqueue` and `jobrunner demo`.
void add_enqueue_commands(CLI::App& app);
// `jobrunner jobs`, `show`, `watch`, `cancel` and `retry`.
void add_jobs_commands(CLI::App& app);
// `jobrunner pause`, `resume`, `prune` and `stats`.
void add_queue_commands(CLI::App& app);

}  // namespace jobrunner::cli
