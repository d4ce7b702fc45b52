#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli_common.h"
#include "commands.h"
#include "jobrunner/time_text.h"
#include "workers/registry.h"
#include "workers/test_job.h"

namespace jobrunner::cli {

namespace {

// Optional flags stay unset when not given, so that an empty value given on purpose is refused
// rather than taken for "not given".
struct EnqueueFlags {
  std::string db;
  std::string worker;
  std::string args = "{}";
  std::string args_file;
  std::optional<std::string> queue;
  std::optional<int> priority;
  std::optional<std::string> in;
  std::optional<std::string> at;
  std::optional<int> max_attempts;
  std::optional<std::string> unique_key;
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

std::string worker_names(const WorkerRegistry& registry) {
  std::string out;
  for (const std::string& name : registry.names()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Inserts with the worker's defaults; the worker must be one this build runs, and TestJob args are
// checked before anything is stored.
std::vector<InsertResult> insert_all(const std::string& db, std::vector<NewJob> jobs) {
  auto registry = workers::builtin_registry();
  for (NewJob& job : jobs) {
    if (registry->find(job.worker) == nullptr) {
      throw UsageError("unknown worker '" + job.worker +
                       "': no daemon of this build could run it (workers: " + worker_names(*registry) + ")");
    }
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
  auto engine = open_durable(db, Create::yes);
  SystemClock clock;
  return check(engine->job_insert_many(jobs, clock.now()), "cannot enqueue");
}

// The text of --args-file ("-" for stdin), read no further than one byte past the args limit.
std::string read_args_file(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) throw UsageError("--args-file: cannot read " + path);
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::string text(kMaxArgsBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw UsageError("--args-file: cannot read " + path);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxArgsBytes) {
    throw UsageError("--args-file " + path + " is over the limit of " + std::to_string(kMaxArgsBytes) +
                     " bytes (1 MiB) for job args");
  }
  return text;
}

NewJob job_from(const EnqueueFlags& f) {
  NewJob job;
  job.worker = f.worker;
  job.args = f.args_file.empty() ? parse_json_object(f.args, "--args")
                                 : parse_json_object(read_args_file(f.args_file), "--args-file");
  if (f.queue) {
    if (!valid_queue_name(*f.queue)) {
      throw UsageError("--queue: '" + *f.queue +
                       "' is not a queue name (1-64 characters of A-Z a-z 0-9 _ . -)");
    }
    job.queue = *f.queue;
  }
  job.priority = f.priority;
  if (f.max_attempts) {
    if (*f.max_attempts < 1) {
      throw UsageError("--max-attempts must be at least 1, not " + std::to_string(*f.max_attempts));
    }
    job.max_attempts = *f.max_attempts;
  }
  SystemClock clock;
  if (f.in) job.scheduled_at = clock.now() + check(parse_duration(*f.in), "--in").count();
  if (f.at) job.scheduled_at = check(parse_timestamp(*f.at), "--at");
  if (f.unique_key) {
    if (f.unique_key->empty()) throw UsageError("--unique-key is empty: give a key, or leave the flag out");
    job.unique = UniqueOptions{*f.unique_key};
  }
  return job;
}

// A whole number in [1, 10000], all of text.
int demo_count(const std::string& text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 10'000) {
    throw UsageError("demo multiple: N must be a whole number from 1 to 10000, not '" + text + "'");
  }
  return n;
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
  auto* args = enqueue->add_option("--args", f->args, "Job args, a JSON object (at most 1 MiB)");
  enqueue
      ->add_option("--args-file", f->args_file,
                   "Read the args from this file (- for stdin), for args too long for a command line")
      ->excludes(args);
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
      const int n = demo_count(p[0]);
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
