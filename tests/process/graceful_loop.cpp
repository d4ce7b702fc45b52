// The graceful loop: crash_host is sent SIGTERM at random moments and started again, many times,
// then left to finish. Each stop lets the chunks in flight finish and save, so no chunk ever runs
// twice, and the host exits 0 within about one chunk.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <random>

#include "loop_support.h"

namespace jobrunner::testing {

TEST_CASE(
    "graceful loop: jobs stopped by SIGTERM at random moments exit 0 within a chunk and run each chunk once",
    "[process][loop]") {
  HostLoop loop(HostOptions{});
  const int wanted = loop_iterations(20);
  // Process teardown (thread joins, closing the database) on a loaded CI machine.
  const Millis margin(500);
  std::random_device seed;
  std::mt19937 rng(seed());
  std::uniform_int_distribution<int> delay_ms(0, 120);

  int stops = 0;
  std::vector<double> exit_ms;
  while (stops < wanted) {
    HostRun run = loop.start();
    if (run.child->wait_exit(Millis(delay_ms(rng)))) {
      loop.sample();  // it ran out of jobs first; the next start enqueues more
      continue;
    }
    auto signalled = std::chrono::steady_clock::now();
    run.child->signal(SIGTERM);
    std::optional<int> status = run.child->wait_exit(Millis(10'000));
    REQUIRE(status);
    exit_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - signalled).count());
    ++stops;
    INFO("stop " << stops << " (run " << run.id << ")");
    CHECK(describe_status(*status) == "exited 0");
    CHECK(exit_ms.back() <= static_cast<double>((loop.options.chunk_max + margin).count()));
    auto report = run.child->wait_for_line("STOPPED", Millis(0));
    REQUIRE(report);
    CHECK_THAT(*report, Catch::Contains("released=0"));
    CHECK(loop.starts_not_committed(run.id) == 0);
    for (const JobSample& job : loop.sample()) {
      CHECK(job.state != JobState::executing);
      CHECK_FALSE(job.leased);
    }
  }
  loop.run_to_completion();

  std::map<JobId, std::int64_t> committed = loop.committed();
  std::map<JobId, std::int64_t> starts = loop.starts();
  for (const JobSample& job : loop.sample()) {
    INFO("job " << job.id);
    CHECK(job.state == JobState::completed);
    CHECK(committed[job.id] == job.chunks);
    CHECK(starts[job.id] == job.chunks);
    // An interruption gives its attempt back: one attempt, the one that completed.
    CHECK(job.attempt == 1);
  }
  CHECK(loop.chunks_committed_twice() == 0);
  CHECK(loop.integrity_check() == "ok");

  std::cout << "graceful loop: " << stops << " SIGTERM stops, " << loop.workload() << "\n"
            << "graceful loop: SIGTERM to exit: median " << median_of(exit_ms) << " ms, max "
            << max_of(exit_ms) << " ms" << std::endl;
}

}  // namespace jobrunner::testing
