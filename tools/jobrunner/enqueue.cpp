#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "jobrunner/time_text.h"
#include "workers/registry.h"
#include "workers/test_job.h"

namespace jobrunner::cli {

namespace {

struct EnqueueFlags {
  std::string db;
  std::string worker;
  std::string args = "{}";
  std::string queue;
  std::optional<int> priority;
  std::string in;
  std::string at;
  int max_attempts = 0;
  std::string unique_key;
  bool json_out = false;
};

void print_inserted(const std::vector<InsertResult>& inserted, bool json_out) {
  for (const InsertResult& r : inserted) {
    if (json_out) {
      std::cout << json{{"id", r.job.id}, {"duplicate", r.duplicate}}.dump() << '\n';
    } else if (r.duplicate) {
      std::cout << r.job.id << '\n';
      std::cerr << "jobrunner: job " << r.job.id << " already exists (unique); nothing inserted\n";
    } else {
      std::cout << r.job.id << '\n';
    }
  }
}

// Inserts with the worker's defaults; TestJob args are checked before anything is stored.
std::vector<InsertResult> insert_all(const std::string& db, std::vector<NewJob> jobs) {
  auto registry = workers::builtin_registry();
  for (NewJob& job : jobs) {
    if (job.worker == workers::kTestJob) {
      try {
        workers::test_job_plan(job.args);
      } catch (const std::invalid_argument& e) {
        throw UsageError(std::string("bad TestJob args: ") + e.what());
      }
    }
    job = registry->with_defaults(std::move(job));
    check(validate(job), "cannot enqueue");
  }
  auto engine = open_durable(db, false);
  SystemClock clock;
  return check(engine->job_insert_many(jobs, clock.now()), "cannot enqueue");
}

NewJob job_from(const EnqueueFlags& f) {
  NewJob job;
  job.worker = f.worker;
  job.args = parse_json_object(f.args, "--args");
  job.queue = f.queue;
  job.priority = f.priority;
  job.max_attempts = f.max_attempts;
  SystemClock clock;
  if (!f.in.empty()) job.scheduled_at = clock.now() + check(parse_duration(f.in), "--in").count();
  if (!f.at.empty()) job.scheduled_at = check(parse_timestamp(f.at), "--at");
  if (!f.unique_key.empty()) job.unique = UniqueOptions{f.unique_key};
  return job;
}

Millis duration_arg(const std::string& text, const std::string& what) {
  return check(parse_duration(text), what);
}

}  // namespace

void add_enqueue_commands(CLI::App& app) {
  auto f = std::make_shared<EnqueueFlags>();
  CLI::App* enqueue = app.add_subcommand("enqueue", "Insert a job; prints its id");
  enqueue->add_option("worker", f->worker, "Worker name, e.g. TestJob")->required();
  add_db_option(*enqueue, f->db);
  enqueue->add_option("--args", f->args, "Job args, a JSON object");
  enqueue->add_option("--queue", f->queue, "Queue (default: the worker's)");
  enqueue->add_option("--priority", f->priority, "0 (first) to 9 (last)");
  auto* in = enqueue->add_option("--in", f->in, "Run after this delay, e.g. 90s, 5m");
  enqueue->add_option("--at", f->at, "Run at this time, ISO-8601, e.g. 2026-12-03T18:00:00Z")->excludes(in);
  enqueue->add_option("--max-attempts", f->max_attempts, "Attempts before the job is discarded");
  enqueue->add_option("--unique-key", f->unique_key, "Insert nothing if a job with this key exists");
  enqueue->add_flag("--json", f->json_out, "Print {\"id\": N, \"duplicate\": false}");
  enqueue->callback([f] { print_inserted(insert_all(f->db, {job_from(*f)}), f->json_out); });

  struct DemoFlags {
    std::string db;
    std::string what;
    std::vector<std::string> params;
    bool json_out = false;
  };
  auto d = std::make_shared<DemoFlags>();
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Enqueue TestJob demo work: quick (30s), medium (2m), long (5m), multiple N, custom DURATION CHUNK");
  demo->add_option("kind", d->what, "quick | medium | long | multiple | custom")
      ->required()
      ->check(CLI::IsMember({"quick", "medium", "long", "multiple", "custom"}));
  demo->add_option("params", d->params, "multiple: N [DURATION]; custom: DURATION CHUNK (e.g. 2m 10s)");
  add_db_option(*demo, d->db);
  demo->add_flag("--json", d->json_out, "Print {\"id\": N, \"duplicate\": false} per job");
  demo->callback([d] {
    std::vector<NewJob> jobs;
    const auto& p = d->params;
    if (d->what == "quick" || d->what == "medium" || d->what == "long") {
      if (!p.empty()) throw UsageError("demo " + d->what + " takes no parameters");
      jobs.push_back(d->what == "quick"    ? workers::test_job_quick()
                     : d->what == "medium" ? workers::test_job_medium()
                                           : workers::test_job_long());
    } else if (d->what == "multiple") {
      if (p.empty() || p.size() > 2) throw UsageError("usage: jobrunner demo multiple N [DURATION]");
      int n = 0;
      try {
        n = std::stoi(p[0]);
      } catch (const std::exception&) {
        throw UsageError("demo multiple: N must be a number, not '" + p[0] + "'");
      }
      if (n < 1 || n > 10'000) throw UsageError("demo multiple: N must be 1 to 10000");
      Millis duration = p.size() == 2 ? duration_arg(p[1], "DURATION") : Millis(30'000);
      jobs = workers::test_job_multiple(n, duration);
    } else {
      if (p.size() != 2) throw UsageError("usage: jobrunner demo custom DURATION CHUNK (e.g. 2m 10s)");
      jobs.push_back(workers::test_job_custom(duration_arg(p[0], "DURATION"), duration_arg(p[1], "CHUNK")));
    }
    print_inserted(insert_all(d->db, std::move(jobs)), d->json_out);
  });
}

}  // namespace jobrunner::cli
