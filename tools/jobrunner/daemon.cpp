#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "http_server.h"
#include "jobrunner/lite_engine.h"
#include "jobrunner/runner.h"
#include "jobrunner/time_text.h"
#include "json_log.h"
#include "workers/registry.h"
#include "workers/test_job.h"

namespace jobrunner::cli {

namespace {

struct RunFlags {
  std::string db;
  bool lite = false;
  std::string queues = "default:10";
  std::string grace = "25s";
  std::string log_level = "info";
  std::string log_format = "text";
  std::string http;
  bool migrate = false;
  std::string synchronous;  // empty: $JOBRUNNER_SYNCHRONOUS, else normal
  std::vector<std::string> demo;
};

std::vector<QueueConfig> parse_queues(const std::string& text) {
  std::vector<QueueConfig> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    std::size_t colon = item.find(':');
    QueueConfig q;
    q.name = item.substr(0, colon);
    if (!valid_queue_name(q.name)) {
      throw UsageError("--queues: invalid queue name '" + q.name + "' (expected e.g. default:10,mail:2)");
    }
    if (colon != std::string::npos) {
      try {
        std::size_t used = 0;
        q.concurrency = std::stoi(item.substr(colon + 1), &used);
        if (used != item.size() - colon - 1) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        throw UsageError("--queues: '" + item + "' needs a number after ':' (e.g. default:10)");
      }
      if (q.concurrency < 1 || q.concurrency > 1000)
        throw UsageError("--queues: concurrency must be 1 to 1000");
    }
    out.push_back(q);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::shared_ptr<spdlog::logger> make_logger(const RunFlags& f, std::shared_ptr<const JobLogContext> jobs) {
  auto level = spdlog::level::from_str(f.log_level);
  if (level == spdlog::level::off && f.log_level != "off") {
    throw UsageError("--log-level: '" + f.log_level + "' is not one of trace, debug, info, warn, error, off");
  }
  std::shared_ptr<spdlog::logger> logger;
  if (f.log_format == "json") {
    logger = make_json_logger(std::move(jobs));
  } else {
    logger = spdlog::stdout_color_mt("jobrunner");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
    logger->flush_on(spdlog::level::trace);
  }
  logger->set_level(level);
  return logger;
}

// SIGINT and SIGTERM are blocked in every thread and taken by one thread with sigwait(), so the
// runner is stopped from ordinary code rather than from a signal handler.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }

  void watch(Runner& runner, spdlog::logger& log, Millis grace) {
    thread_ = std::thread([this, &runner, &log, grace] {
      for (int count = 0;;) {
        int sig = 0;
        if (sigwait(&set_, &sig) != 0 || sig == SIGUSR1) return;
        const char* name = sig == SIGINT ? "SIGINT" : "SIGTERM";
        if (++count == 1) {
          log.info("Received {}: graceful shutdown, grace {} (send it again to stop at once)", name,
                   format_duration(grace));
        } else {
          log.warn("Received {} again: releasing running jobs now", name);
        }
        runner.request_stop();
      }
    });
  }

  ~SignalWatcher() {
    if (thread_.joinable()) {
      pthread_kill(thread_.native_handle(), SIGUSR1);
      thread_.join();
    }
  }

 private:
  sigset_t set_;
  std::thread thread_;
};

std::vector<NewJob> demo_jobs(const std::vector<std::string>& demo) {
  if (demo.empty()) return {};
  if (demo[0] == "quick") return {workers::test_job_quick()};
  if (demo[0] == "medium") return {workers::test_job_medium()};
  if (demo[0] == "long") return {workers::test_job_long()};
  throw UsageError("--demo: expected quick, medium or long (use `jobrunner demo` for more)");
}

int run_daemon(const RunFlags& f) {
  SignalWatcher signals;  // before any thread starts, so every thread inherits the mask
  RunnerOptions options;
  options.queues = parse_queues(f.queues);
  options.shutdown_grace = check(parse_duration(f.grace), "--grace");
  std::optional<HttpAddress> http;
  if (!f.http.empty()) http = parse_http_address(f.http);
  // Declared before the runner: its handlers are called until the runner is gone.
  auto job_log = std::make_shared<JobLogContext>();
  Metrics metrics;
  options.logger = make_logger(f, job_log);
  std::vector<NewJob> demo = demo_jobs(f.demo);
  const Synchronous synchronous =
      f.synchronous.empty() ? default_synchronous() : parse_synchronous(f.synchronous, "--synchronous");
  std::shared_ptr<Engine> engine =
      f.lite ? make_lite_engine() : open_durable(f.db, Create::yes, f.migrate, synchronous);

  Runner runner(engine, workers::builtin_registry(), options);
  auto& log = *options.logger;
  if (f.log_format == "json")
    runner.telemetry().subscribe([job_log](const Event& e) { job_log->on_event(e); });
  std::unique_ptr<HttpServer> server;
  if (http) {
    runner.telemetry().subscribe([&metrics](const Event& e) { metrics.on_event(e); });
    server = std::make_unique<HttpServer>(runner, metrics);
    int port = server->bind(*http);
    log.info("HTTP listening on {}:{}: GET /healthz, GET /metrics", http->host, port);
  }
  const char* sync_name = synchronous == Synchronous::full ? "full" : "normal";
  log.info("jobrunner starting: engine {}{}, queues {}, grace {}", engine->name(),
           f.lite ? "" : " at " + f.db + " (synchronous " + sync_name + ")", f.queues, f.grace);
  check(runner.start(), "cannot start the runner");
  if (server) server->start();
  signals.watch(runner, log, options.shutdown_grace);
  for (NewJob& job : demo) {
    auto inserted = check(runner.insert(std::move(job)), "cannot enqueue the demo job");
    log.info("Enqueued demo job {} ({})", inserted.job.id, inserted.job.args.dump());
  }
  StopReport report = runner.wait();
  log.info("jobrunner stopped: completed {}, interrupted {}, released {} in {}", report.completed,
           report.interrupted, report.released, format_duration(report.elapsed));
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "Run the daemon: claim and execute jobs until SIGTERM or SIGINT");
  auto* db = add_db_option(*run, f->db);
  run->add_flag("--lite", f->lite, "Keep jobs in memory only (no database; lost when the process ends)")
      ->excludes(db);
  run->add_option("--queues", f->queues, "Queues and their concurrency, e.g. default:10,mail:2")
      ->capture_default_str();
  run->add_option("--grace", f->grace, "How long a graceful stop waits for running jobs")
      ->capture_default_str();
  run->add_option("--log-level", f->log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  run->add_option("--log-format", f->log_format, "text, or json: one JSON object per line")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  run->add_option(
      "--http", f->http,
      "Serve GET /healthz and GET /metrics on ADDR:PORT only (e.g. 0.0.0.0:8080; port 0: any free port)");
  run->add_flag("--migrate", f->migrate, "Apply pending schema migrations before starting");
  run->add_option("--synchronous", f->synchronous,
                  "normal: a commit survives a crash of the process; full: it also survives power loss,"
                  " at the cost of a sync per commit ($JOBRUNNER_SYNCHRONOUS, else normal)")
      ->excludes("--lite");
  run->add_option("--demo", f->demo, "Enqueue a TestJob demo at start: quick, medium or long");
  run->callback([f] {
    if (int code = run_daemon(*f); code != kExitOk) std::exit(code);
  });
}

}  // namespace jobrunner::cli
