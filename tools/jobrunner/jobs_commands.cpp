// `jobrunner jobs`, `show`, `watch`, `cancel` and `retry`: one job or a list of them, on the database
// a daemon may be running on.
#include <unistd.h>

#include <charconv>
#include <iostream>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "job_json.h"
#include "jobrunner/time_text.h"
#include "text_table.h"

namespace jobrunner::cli {

namespace {

struct JobsFlags {
  std::string db;
  std::vector<std::string> states;
  std::string queue;
  std::string worker;
  int limit = 50;
  bool json_out = false;
};

struct JobFlags {
  std::string db;
  JobId id = 0;
  bool json_out = false;
  std::string interval = "250ms";
};

// The job, or a RuntimeError that says how to find the right id.
Job fetch(Engine& engine, const JobFlags& f) {
  auto job = engine.job_get(f.id);
  if (job.status().code() == StatusCode::not_found) {
    throw RuntimeError("no job " + std::to_string(f.id) + " in " + f.db +
                       ": list jobs with `jobrunner jobs --db " + f.db + "`");
  }
  return check(std::move(job), "cannot read job " + std::to_string(f.id));
}

void print_jobs(const JobsFlags& f) {
  JobFilter filter;
  for (const std::string& name : f.states) filter.states.push_back(check(parse_job_state(name), "--state"));
  filter.queue = f.queue;
  filter.worker = f.worker;
  filter.limit = f.limit;
  auto engine = open_durable(f.db, Create::no);
  auto jobs = check(engine->job_list(filter), "cannot list jobs");
  if (f.json_out) {
    json out = json::array();
    for (const Job& job : jobs) out.push_back(job_to_json(job));
    std::cout << out.dump(2) << '\n';
    return;
  }
  TextTable table({"ID", "WORKER", "QUEUE", "STATE", "ATTEMPT", "PROGRESS", "SCHEDULED_AT", "ATTEMPTED_AT",
                   "FINISHED_AT"});
  for (const Job& job : jobs) {
    table.add({std::to_string(job.id), job.worker, job.queue, std::string(to_string(job.state)),
               attempt_text(job), progress_text(job.progress), time_text(job.scheduled_at),
               time_text(job.attempted_at), time_text(job.finished_at)});
  }
  if (table.empty()) {
    std::cout << "No jobs match.\n";
    return;
  }
  table.print(std::cout);
}

void print_job(const Job& job) {
  auto field = [](const std::string& name, const std::string& value) {
    std::cout << "  " << name << std::string(14 - name.size(), ' ') << value << '\n';
  };
  auto json_text = [](const json& v) { return v.is_null() ? std::string("-") : v.dump(); };
  std::cout << "Job " << job.id << " (" << job.worker << ")\n";
  field("state", std::string(to_string(job.state)));
  field("queue", job.queue);
  field("priority", std::to_string(job.priority));
  field("attempt", attempt_text(job));
  field("progress", progress_text(job.progress, 20));
  field("args", json_text(job.args));
  field("meta", json_text(job.meta));
  field("tags", json_text(json(job.tags)));
  field("unique_key", job.unique_key.value_or("-"));
  field("inserted_at", time_text(job.inserted_at));
  field("scheduled_at", time_text(job.scheduled_at));
  field("attempted_at", time_text(job.attempted_at));
  field("finished_at", time_text(job.finished_at));
  field("lease", job.lease ? job.lease->owner + " until " + format_timestamp(job.lease->expires_at) : "-");
  field("checkpoint", json_text(job.checkpoint));
  field("result", json_text(job.result));
  field("errors", job.errors.empty() ? "-" : std::to_string(job.errors.size()));
  for (const JobError& e : job.errors) {
    std::cout << "    attempt " << e.attempt << " at " << format_timestamp(e.at) << ": " << e.message << '\n';
  }
}

void show(const JobFlags& f) {
  auto engine = open_durable(f.db, Create::no);
  Job job = fetch(*engine, f);
  if (f.json_out) {
    std::cout << job_to_json(job).dump(2) << '\n';
  } else {
    print_job(job);
  }
}

std::string watch_line(const Job& job) {
  return "Job " + std::to_string(job.id) + " (" + job.worker + ") " + std::string(to_string(job.state)) +
         "  " + progress_text(job.progress, 20);
}

// Polls the job until it is final. On a terminal the line is redrawn in place; otherwise (a pipe, a
// log) a line is written each time it changes, so the output stays readable in a file.
void watch(const JobFlags& f) {
  Millis interval = check(parse_duration(f.interval), "--interval");
  if (interval.count() <= 0) throw UsageError("--interval must be positive, e.g. 250ms");
  auto engine = open_durable(f.db, Create::no);
  const bool tty = isatty(STDOUT_FILENO) == 1;
  std::string last;
  while (true) {
    Job job = fetch(*engine, f);
    std::string line = watch_line(job);
    if (line != last) {
      std::cout << (tty ? "\r\033[K" : "") << line << (tty ? "" : "\n") << std::flush;
      last = line;
    }
    if (is_final(job.state)) {
      if (tty) std::cout << '\n';
      if (job.state != JobState::completed) {
        throw RuntimeError("job " + std::to_string(job.id) + " ended " + std::string(to_string(job.state)) +
                           ": see why with `jobrunner show " + std::to_string(job.id) + "`");
      }
      return;
    }
    std::this_thread::sleep_for(interval);
  }
}

// cancel and retry: one engine call on one job, then its new state.
void change(const JobFlags& f, const char* verb, Result<Job> (Engine::*call)(JobId, Timestamp)) {
  auto engine = open_durable(f.db, Create::no);
  fetch(*engine, f);
  SystemClock clock;
  Job job = check(((*engine).*call)(f.id, clock.now()), std::string("cannot ") + verb);
  std::cout << "Job " << job.id << " (" << job.worker << ") is now " << to_string(job.state) << '\n';
}

std::vector<std::string> state_names() {
  std::vector<std::string> names;
  for (JobState s : kAllStates) names.emplace_back(to_string(s));
  return names;
}

// A job id is a whole number from 1; CLI11's own check would print its range as a float.
std::string check_job_id(const std::string& text) {
  JobId id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
    return "'" + text +
           "' is not a job id (a whole number from 1 to 9223372036854775807, as `jobrunner jobs` lists)";
  }
  return "";
}

CLI::App* add_job_command(CLI::App& app, const char* name, const char* help, std::shared_ptr<JobFlags> f) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("id", f->id, "Job id (see `jobrunner jobs`)")
      ->required()
      ->check(CLI::Validator(check_job_id, "ID"));
  add_db_option(*cmd, f->db);
  return cmd;
}

}  // namespace

void add_jobs_commands(CLI::App& app) {
  auto list = std::make_shared<JobsFlags>();
  CLI::App* jobs =
      app.add_subcommand("jobs", "List jobs, newest first: id, worker, queue, state, attempt, progress");
  add_db_option(*jobs, list->db);
  jobs->add_option("--state", list->states, "Only these states (comma-separated), e.g. executing,available")
      ->delimiter(',')
      ->check(CLI::IsMember(state_names()));
  jobs->add_option("--queue", list->queue, "Only this queue");
  jobs->add_option("--worker", list->worker, "Only this worker");
  jobs->add_option("--limit", list->limit, "At most this many jobs")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  jobs->add_flag("--json", list->json_out, "Print a JSON array of jobs (the fields of `show --json`)");
  jobs->callback([list] { print_jobs(*list); });

  auto one = std::make_shared<JobFlags>();
  CLI::App* show_cmd =
      add_job_command(app, "show", "Show one job: args, errors, checkpoint, progress, result", one);
  show_cmd->add_flag("--json", one->json_out, "Print the job as a JSON object (times ISO-8601 UTC)");
  show_cmd->callback([one] { show(*one); });

  auto watched = std::make_shared<JobFlags>();
  CLI::App* watch_cmd = add_job_command(
      app, "watch", "Follow a job's progress until it ends; exit 1 unless it completed", watched);
  watch_cmd->add_option("--interval", watched->interval, "How often to look, e.g. 250ms, 1s")
      ->capture_default_str();
  watch_cmd->callback([watched] { watch(*watched); });

  auto cancelled = std::make_shared<JobFlags>();
  add_job_command(app, "cancel", "Cancel a job; a running job is stopped by its daemon within a moment",
                  cancelled)
      ->callback([cancelled] { change(*cancelled, "cancel", &Engine::job_cancel); });

  auto retried = std::make_shared<JobFlags>();
  add_job_command(app, "retry", "Make a finished, retryable or scheduled job available now", retried)
      ->callback([retried] { change(*retried, "retry", &Engine::job_retry); });
}

}  // namespace jobrunner::cli
