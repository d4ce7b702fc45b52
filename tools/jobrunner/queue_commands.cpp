// `jobrunner pause`, `resume`, `prune` and `stats`: queues and the database as a whole.
#include <iostream>
#include <map>

#include "cli_common.h"
#include "commands.h"
#include "job_json.h"
#include "jobrunner/time_text.h"
#include "text_table.h"

namespace jobrunner::cli {

namespace {

struct QueueFlags {
  std::string db;
  std::string queue;
};

struct PruneFlags {
  std::string db;
  std::string older_than = "7d";
};

struct StatsFlags {
  std::string db;
  bool json_out = false;
};

void set_paused(const QueueFlags& f, bool paused) {
  if (!valid_queue_name(f.queue)) {
    throw UsageError("'" + f.queue + "' is not a queue name (1-64 characters of A-Z a-z 0-9 _ . -)");
  }
  auto engine = open_durable(f.db, Create::no);
  SystemClock clock;
  if (paused) {
    check(engine->queue_pause(f.queue, clock.now()), "cannot pause " + f.queue);
    std::cout << "Queue " << f.queue << " paused: daemons claim nothing more from it; running jobs go on\n";
  } else {
    check(engine->queue_resume(f.queue, clock.now()), "cannot resume " + f.queue);
    std::cout << "Queue " << f.queue << " resumed\n";
  }
}

void prune(const PruneFlags& f) {
  Millis age = check(parse_duration(f.older_than), "--older-than");
  auto engine = open_durable(f.db, Create::no);
  SystemClock clock;
  JobPruneParams p;
  p.finished_before = clock.now() - age.count();
  std::int64_t total = 0;
  std::int64_t n = 0;
  // Deleting in batches keeps each write transaction short, so a running daemon is not held up.
  do {
    n = check(engine->job_prune(p), "cannot prune");
    total += n;
  } while (n == p.limit);
  std::cout << "Pruned " << total << " job(s) finished (completed, discarded or cancelled) more than "
            << format_duration(age) << " ago\n";
}

struct QueueStats {
  bool paused = false;
  std::map<JobState, std::int64_t> counts;
};

json stats_json(const std::map<std::string, QueueStats>& queues, const std::vector<Job>& executing) {
  json out = {{"queues", json::array()}, {"executing", json::array()}};
  for (const auto& [name, q] : queues) {
    json counts = json::object();
    for (JobState s : kAllStates)
      counts[std::string(to_string(s))] = q.counts.contains(s) ? q.counts.at(s) : 0;
    out["queues"].push_back({{"name", name}, {"paused", q.paused}, {"counts", counts}});
  }
  for (const Job& job : executing) {
    out["executing"].push_back({{"id", job.id},
                                {"worker", job.worker},
                                {"queue", job.queue},
                                {"attempt", job.attempt},
                                {"progress", progress_to_json(job.progress)},
                                {"attempted_at", time_to_json(job.attempted_at)}});
  }
  return out;
}

void print_stats(const std::map<std::string, QueueStats>& queues, const std::vector<Job>& executing) {
  std::vector<std::string> headers{"QUEUE", "PAUSED"};
  for (JobState s : kAllStates) headers.emplace_back(to_string(s));
  TextTable counts(headers);
  for (const auto& [name, q] : queues) {
    std::vector<std::string> row{name, q.paused ? "yes" : "no"};
    for (JobState s : kAllStates) row.push_back(std::to_string(q.counts.contains(s) ? q.counts.at(s) : 0));
    counts.add(std::move(row));
  }
  if (counts.empty()) {
    std::cout << "No queues yet: enqueue a job with `jobrunner enqueue` or `jobrunner demo quick`.\n";
    return;
  }
  counts.print(std::cout);
  if (executing.empty()) {
    std::cout << "\nNo job is executing.\n";
    return;
  }
  std::cout << "\nExecuting:\n";
  TextTable running({"ID", "WORKER", "QUEUE", "ATTEMPT", "PROGRESS", "ATTEMPTED_AT"});
  for (const Job& job : executing) {
    running.add({std::to_string(job.id), job.worker, job.queue, attempt_text(job),
                 progress_text(job.progress), time_text(job.attempted_at)});
  }
  running.print(std::cout);
}

void stats(const StatsFlags& f) {
  auto engine = open_durable(f.db, Create::no);
  std::map<std::string, QueueStats> queues;
  for (const QueueInfo& q : check(engine->queue_list(), "cannot list queues"))
    queues[q.name].paused = q.paused;
  for (const StateCount& c : check(engine->job_count({}), "cannot count jobs")) {
    queues[c.queue].counts[c.state] = c.count;
  }
  JobFilter running;
  running.states = {JobState::executing};
  running.limit = 1000;
  running.newest_first = false;
  auto executing = check(engine->job_list(running), "cannot list executing jobs");
  if (f.json_out) {
    std::cout << stats_json(queues, executing).dump(2) << '\n';
  } else {
    print_stats(queues, executing);
  }
}

CLI::App* add_queue_command(CLI::App& app, const char* name, const char* help,
                            std::shared_ptr<QueueFlags> f) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("queue", f->queue, "Queue name, e.g. default")->required();
  add_db_option(*cmd, f->db);
  return cmd;
}

}  // namespace

void add_queue_commands(CLI::App& app) {
  auto paused = std::make_shared<QueueFlags>();
  add_queue_command(app, "pause", "Stop claiming jobs from a queue (jobs running now go on)", paused)
      ->callback([paused] { set_paused(*paused, true); });
  auto resumed = std::make_shared<QueueFlags>();
  add_queue_command(app, "resume", "Claim jobs from a paused queue again", resumed)->callback([resumed] {
    set_paused(*resumed, false);
  });

  auto pruned = std::make_shared<PruneFlags>();
  CLI::App* prune_cmd =
      app.add_subcommand("prune", "Delete completed, discarded and cancelled jobs older than an age");
  add_db_option(*prune_cmd, pruned->db);
  prune_cmd
      ->add_option("--older-than", pruned->older_than, "Age of the jobs to delete, e.g. 7d, 12h, 0s (all)")
      ->capture_default_str();
  prune_cmd->callback([pruned] { prune(*pruned); });

  auto counted = std::make_shared<StatsFlags>();
  CLI::App* stats_cmd = app.add_subcommand(
      "stats", "Jobs per queue and state, paused queues, executing jobs with their progress");
  add_db_option(*stats_cmd, counted->db);
  stats_cmd->add_flag(
      "--json", counted->json_out,
      "Print {\"queues\": [{name, paused, counts}], \"executing\": [{id, worker, progress, ...}]}");
  stats_cmd->callback([counted] { stats(*counted); });
}

}  // namespace jobrunner::cli
