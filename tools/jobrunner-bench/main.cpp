// jobrunner-bench SCENARIO [flags]: runs one scenario and prints its figures, a line each, or one
// JSON object per run with --json. `all` runs every scenario, each in a process of its own.
#include <spawn.h>
#include <spdlog/fmt/fmt.h>
#include <sqlite3.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench.h"
#include "children.h"

extern char** environ;

namespace jobrunner::bench {

namespace {

json machine() {
  std::string cpu;
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; cpu.empty() && std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0) cpu = line.substr(line.find(':') + 2);
  }
  utsname u{};
  uname(&u);
  return {{"cores", std::thread::hardware_concurrency()},
          {"cpu", cpu},
          {"kernel", std::string(u.release)},
          {"sqlite_version", sqlite3_libversion()}};
}

std::string fmt_number(double v) { return v >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v); }

void print(const Settings& s, const Figures& f, bool as_json) {
  if (as_json) {
    json out = {{"scenario", s.scenario},
                {"engine", s.engine},
                {"concurrency", s.concurrency},
                {"machine", machine()},
                {"settings",
                 {{"synchronous", s.synchronous == Synchronous::full ? "full" : "normal"},
                  {"repeat", s.repeat},
                  {"rate_per_s", s.rate},
                  {"cross_process", s.cross_process},
                  {"with_baseline", s.with_baseline}}}};
    out.update(f);
    std::cout << out.dump() << std::endl;
    return;
  }
  for (const auto& [key, value] : f.items()) {
    if (key == "runs") continue;
    std::cout << s.scenario << ' ' << s.engine << (s.cross_process ? " cross-process" : "") << ": " << key
              << ' ' << (value.is_number_float() ? fmt_number(value.get<double>()) : value.dump()) << '\n';
  }
}

// Every scenario, each engine it applies to, each in a new process so that none inherits another's
// memory or threads.
int run_all(const Settings& s, const std::vector<std::string>& passed) {
  struct Run {
    std::string scenario, engine;
    std::vector<std::string> flags;
  };
  const std::vector<Run> runs{
      {"insert", "durable", {"--with-baseline"}},
      {"insert", "lite", {}},
      {"throughput", "durable", {"--with-baseline"}},
      {"throughput", "lite", {}},
      {"latency", "durable", {}},
      {"latency", "durable", {"--cross-process"}},
      {"latency", "lite", {}},
      {"checkpoint", "durable", {}},
      {"checkpoint", "lite", {}},
      {"depth", "durable", {}},
      {"depth", "lite", {}},
      {"memory", "durable", {}},
      {"memory", "lite", {}},
      {"shutdown", "durable", {}},
      {"shutdown", "lite", {}},
      {"baseline", "durable", {}},
  };
  for (const Run& r : runs) {
    std::vector<std::string> args{s.self, r.scenario, "--engine", r.engine};
    args.insert(args.end(), r.flags.begin(), r.flags.end());
    args.insert(args.end(), passed.begin(), passed.end());
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
      fail("cannot start " + s.self);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail(r.scenario + " " + r.engine + " failed");
  }
  return 0;
}

}  // namespace

}  // namespace jobrunner::bench

int main(int argc, char** argv) {
  using namespace jobrunner::bench;
  if (argc > 1 && std::string(argv[1]) == kChildFlag) return child_main(argc - 2, argv + 2);

  Settings s;
  s.self = std::filesystem::canonical("/proc/self/exe").string();
  bool as_json = false;
  std::string synchronous = "normal";
  CLI::App app{
      "jobrunner-bench: jobrunner's throughput, latency, memory and shutdown figures on this machine"};
  app.name("jobrunner-bench");
  std::vector<std::string> names = scenario_names();
  names.emplace_back("all");
  app.add_option("scenario", s.scenario,
                 "One of: insert, throughput, latency, checkpoint, depth, memory, "
                 "shutdown, baseline, or all")
      ->required()
      ->check(CLI::IsMember(names));
  app.add_option("--engine", s.engine, "lite or durable")
      ->check(CLI::IsMember({"lite", "durable"}))
      ->capture_default_str();
  app.add_option("--jobs", s.jobs, "Jobs (or checkpoint saves) per run; 0: the scenario's default")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--concurrency", s.concurrency, "Jobs of the queue executing at once")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--synchronous", synchronous, "SQLite synchronous: normal or full")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  app.add_option("--repeat", s.repeat, "Runs per figure; the median is reported")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--rate", s.rate, "latency: jobs inserted per second")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  app.add_option("--depths", s.depths, "depth: waiting jobs, e.g. 10000,100000 (default 10k, 100k, 1M)")
      ->delimiter(',');
  app.add_flag("--cross-process", s.cross_process, "latency: insert from another process (durable)");
  app.add_flag("--with-baseline", s.with_baseline,
               "throughput, insert (durable): also run the sqlite3 floor and print the ratio");
  app.add_flag("--json", as_json, "One JSON object per run instead of a line per figure");
  CLI11_PARSE(app, argc, argv);
  s.synchronous = synchronous == "full" ? jobrunner::Synchronous::full : jobrunner::Synchronous::normal;

  if (s.scenario == "all") {
    // Every flag goes to each run.
    std::vector<std::string> passed;
    for (int i = 1; i < argc; ++i) {
      if (std::string(argv[i]) != "all") passed.emplace_back(argv[i]);
    }
    return run_all(s, passed);
  }
  for (const Figures& f : find_scenario(s.scenario)(s)) print(s, f, as_json);
  return 0;
}
