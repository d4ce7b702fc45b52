// The scenarios that run inside this process: insert, throughput, latency, checkpoint, depth, memory.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bench.h"
#include "children.h"

namespace jobrunner::bench {

namespace {

std::int64_t jobs_or(const Settings& s, std::int64_t fallback) { return s.jobs > 0 ? s.jobs : fallback; }

Figures insert_once(const Settings& s) {
  TempDir dir;
  auto engine = open_engine(s, dir.file("bench.db"));
  const std::int64_t n = jobs_or(s, 100'000);
  const double began = seconds_now();
  insert_jobs(*engine, n, kNoop, [](std::int64_t i) { return json{{"n", i}}; });
  const double seconds = seconds_now() - began;
  const double rate = static_cast<double>(n) / seconds;
  Figures f{{"jobs_per_s", rate}, {"seconds", seconds}, {"jobs", n}};
  if (s.with_baseline && s.engine == "durable") {
    engine.reset();
    const double floor = insert_floor_rate(s, n);
    f["baseline_insert_jobs_per_s"] = floor;
    f["ratio_to_insert_floor"] = rate / floor;
  }
  return f;
}

Figures throughput_once(const Settings& s) {
  TempDir dir;
  auto engine = open_engine(s, dir.file("bench.db"));
  const std::int64_t n = jobs_or(s, s.engine == "lite" ? 200'000 : 50'000);
  insert_jobs(*engine, n, kNoop);
  const double rate = run_to_completion(s, engine, n);
  Figures f{{"jobs_per_s", rate}, {"seconds", static_cast<double>(n) / rate}, {"jobs", n}};
  if (s.with_baseline) {
    engine.reset();
    Figures floor = baseline_figures(s, n);
    f["baseline_tx100_jobs_per_s"] = floor["tx100_jobs_per_s"];
    f["baseline_tx1_jobs_per_s"] = floor["tx1_jobs_per_s"];
    f["baseline_txc_jobs_per_s"] = floor["txc_jobs_per_s"];
    f["ratio_to_tx100"] = rate / floor["tx100_jobs_per_s"].get<double>();
    f["ratio_to_txc"] = rate / floor["txc_jobs_per_s"].get<double>();
  }
  return f;
}

// Enqueue-to-start: each job carries the time it was enqueued (steady clock, shared by processes).
Figures latency_once(const Settings& s) {
  if (s.cross_process && s.engine == "lite") fail("--cross-process needs the durable engine");
  TempDir dir;
  const auto db = dir.file("bench.db");
  auto engine = open_engine(s, db);
  const std::int64_t n = jobs_or(s, 2'000);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> waits;
  Runner runner(engine, bench_workers(), runner_options(s));
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind != EventKind::job_start) return;
    const double waited = static_cast<double>(nanos_now() - e.job->args.at("t").get<std::int64_t>()) / 1e6;
    std::lock_guard lock(mu);
    waits.push_back(waited);
    cv.notify_all();
  });
  if (Status st = runner.start(); !st.is_ok()) fail("starting the runner: " + st.to_string());
  const double began = seconds_now();
  if (s.cross_process) {
    run_inserter(s, db, n);
  } else {
    paced(n, s.rate, [&] {
      NewJob job;
      job.worker = kNoop;
      job.args = {{"t", nanos_now()}};
      must(runner.insert(std::move(job)), "inserting a job");
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return std::ssize(waits) >= n; });
  }
  const double seconds = seconds_now() - began;
  runner.stop();
  return {{"p50_ms", percentile(waits, 50)},
          {"p99_ms", percentile(waits, 99)},
          {"max_ms", percentile(waits, 100)},
          {"seconds", seconds},
          {"jobs", n},
          {"rate_per_s", s.rate},
          {"cross_process", s.cross_process}};
}

// `concurrency` chunked jobs with chunks that do nothing: every chunk is one checkpoint save.
Figures checkpoint_once(const Settings& s) {
  TempDir dir;
  auto engine = open_engine(s, dir.file("bench.db"));
  const std::int64_t saves = jobs_or(s, 30'000);
  const std::int64_t chunks = std::max<std::int64_t>(1, saves / s.concurrency);
  insert_jobs(*engine, s.concurrency, kChunks, [&](std::int64_t) { return json{{"chunks", chunks}}; });
  std::int64_t saved = 0;
  double first = 0, last = 0;
  Runner runner(engine, bench_workers(), runner_options(s));
  std::mutex mu;
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind != EventKind::checkpoint_saved) return;
    std::lock_guard lock(mu);  // handlers run on several threads at once
    if (saved++ == 0) first = seconds_now();
    last = seconds_now();
  });
  std::atomic<int> ended = 0;
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind == EventKind::job_stop) ended.fetch_add(1);
  });
  if (Status st = runner.start(); !st.is_ok()) fail("starting the runner: " + st.to_string());
  while (ended.load() < s.concurrency) std::this_thread::sleep_for(Millis(5));
  runner.stop();
  // The first save starts the clock, so it is not counted in the rate.
  const double seconds = last - first;
  return {{"saves_per_s", static_cast<double>(saved - 1) / seconds},
          {"seconds", seconds},
          {"jobs", s.concurrency},
          {"saves", saved}};
}

// Claim latency and throughput with `depth` jobs waiting and as many finished.
std::vector<Figures> depth_runs(const Settings& s) {
  std::vector<std::int64_t> depths = s.depths;
  if (depths.empty()) depths = {10'000, 100'000, 1'000'000};
  const std::int64_t processed = jobs_or(s, 20'000);
  constexpr int kClaims = 100;
  std::vector<Figures> out;
  for (std::int64_t depth : depths) {
    TempDir dir;
    auto engine = open_engine(s, dir.file("bench.db"));
    const std::int64_t extra = processed * s.repeat + std::int64_t{kClaims} * s.concurrency;
    const double setup_began = seconds_now();
    insert_jobs(*engine, 2 * depth + extra, kNoop);
    finish_jobs(*engine, depth);
    settle_wal(s, dir.file("bench.db"));
    const double setup = seconds_now() - setup_began;

    std::vector<double> claim_ms;
    for (int i = 0; i < kClaims; ++i) {
      JobClaimParams p;
      p.queue = "default";
      p.limit = s.concurrency;
      p.owner = "bench-claims";
      p.now = SystemClock().now();
      const double began = seconds_now();
      auto claimed = must(engine->job_claim(p), "claiming");
      claim_ms.push_back((seconds_now() - began) * 1000);
      std::vector<JobFinishParams> items(claimed.size());
      for (std::size_t j = 0; j < claimed.size(); ++j) {
        items[j].id = claimed[j].id;
        items[j].token = claimed[j].lease->token;
        items[j].now = p.now;
      }
      (void)engine->job_finish(items);
    }
    std::vector<Figures> runs;
    for (int r = 0; r < s.repeat; ++r) {
      const double rate = run_to_completion(s, engine, processed);
      runs.push_back({{"jobs_per_s", rate}, {"seconds", static_cast<double>(processed) / rate}});
    }
    Figures f = median_of(runs);
    f["depth"] = depth;
    f["finished"] = depth;
    f["jobs"] = processed;
    f["claim_p50_ms"] = percentile(claim_ms, 50);
    f["claim_p99_ms"] = percentile(claim_ms, 99);
    f["setup_seconds"] = setup;
    out.push_back(f);
  }
  return out;
}

// Peak RSS with the jobs waiting, and what each waiting job costs (lite: the process is the store).
Figures memory_once(const Settings& s) {
  TempDir dir;
  const std::int64_t n = jobs_or(s, 1'000'000);
  const std::int64_t before = rss_bytes();
  auto engine = open_engine(s, dir.file("bench.db"));
  insert_jobs(*engine, n, kNoop, [](std::int64_t i) { return json{{"n", i}}; });
  const std::int64_t after_insert = rss_bytes();
  // Work through a few of them, as a daemon with a backlog would.
  const std::int64_t processed = std::min<std::int64_t>(n, 5'000);
  const double rate = run_to_completion(s, engine, processed);
  return {{"rss_mb", static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0)},
          {"bytes_per_job", static_cast<double>(after_insert - before) / static_cast<double>(n)},
          {"jobs_per_s", rate},
          {"jobs", n}};
}

// Runs a one-figures scenario `repeat` times and reports the medians with every run's figures.
Scenario repeated(Figures (*once)(const Settings&)) {
  return [once](const Settings& s) {
    std::vector<Figures> runs;
    for (int i = 0; i < s.repeat; ++i) runs.push_back(once(s));
    Figures f = median_of(runs);
    if (runs.size() > 1) f["runs"] = runs;
    return std::vector<Figures>{f};
  };
}

struct Named {
  const char* name;
  Scenario run;
};

const std::vector<Named>& all() {
  static const std::vector<Named> scenarios{
      {"insert", repeated(insert_once)},
      {"throughput", repeated(throughput_once)},
      {"latency", repeated(latency_once)},
      {"checkpoint", repeated(checkpoint_once)},
      {"depth", depth_runs},
      // Peak RSS is the process's, so memory runs once, in a process of its own.
      {"memory", [](const Settings& s) { return std::vector<Figures>{memory_once(s)}; }},
      {"shutdown", repeated(shutdown_once)},
      {"baseline",
       repeated([](const Settings& s) { return baseline_figures(s, s.jobs > 0 ? s.jobs : 50'000); })},
  };
  return scenarios;
}

}  // namespace

Scenario find_scenario(const std::string& name) {
  for (const Named& n : all()) {
    if (name == n.name) return n.run;
  }
  return {};
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const Named& n : all()) names.emplace_back(n.name);
  return names;
}

}  // namespace jobrunner::bench
