// The crash loop: crash_host (a durable runner whose chunked jobs record every chunk start, and every
// chunk in its own checkpoint transaction) is SIGKILLed at random moments and started again, many
// times, then left to finish. Nothing may be lost, no chunk may take effect twice, and a kill may
// cost at most the chunks it cut short.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <random>

#include "loop_support.h"

namespace jobrunner::testing {

TEST_CASE("crash loop: jobs killed at random moments complete with every chunk committed exactly once",
          "[process][loop]") {
  HostLoop loop(HostOptions{});
  const int wanted = loop_iterations(20);
  std::random_device seed;
  std::mt19937 rng(seed());
  // Up to about three chunks: kills land at every point of a chunk, between chunks and at claim.
  std::uniform_int_distribution<int> delay_ms(0, 120);

  int kills = 0;
  std::map<JobId, std::int64_t> hits;  // kills that found the job executing
  std::set<JobId> orphans;             // executing when the last kill hit
  std::vector<double> redone_per_kill, orphan_to_rerun_ms, to_ready_ms;
  while (kills < wanted) {
    HostRun run = loop.start();
    to_ready_ms.push_back(static_cast<double>(run.to_ready.count()));
    std::optional<int> status = run.child->wait_exit(Millis(delay_ms(rng)));
    if (!status) {
      run.child->signal(SIGKILL);
      status = run.child->wait_exit(Millis(10'000));
    }
    REQUIRE(status);
    const bool killed = WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL;
    // A host that ran out of jobs before the kill exits 0 on its own; the next start enqueues more.
    if (!killed) REQUIRE(describe_status(*status) == "exited 0");
    if (!orphans.empty()) {
      if (auto first = loop.first_start_us(run.id, orphans)) {
        orphan_to_rerun_ms.push_back(static_cast<double>(*first - run.spawned_us) / 1000.0);
      }
    }
    orphans.clear();
    for (const JobSample& job : loop.sample()) {
      if (job.state == JobState::executing && killed) {
        orphans.insert(job.id);
        ++hits[job.id];
      }
    }
    if (killed) {
      ++kills;
      redone_per_kill.push_back(static_cast<double>(loop.starts_not_committed(run.id)));
    }
  }
  loop.run_to_completion();

  std::map<JobId, std::int64_t> committed = loop.committed();
  std::map<JobId, std::int64_t> starts = loop.starts();
  for (const JobSample& job : loop.sample()) {
    INFO("job " << job.id << ": " << starts[job.id] << " chunk starts, " << hits[job.id] << " kills hit it");
    CHECK(job.state == JobState::completed);
    CHECK(committed[job.id] == job.chunks);
    CHECK(starts[job.id] <= job.chunks + hits[job.id]);
  }
  CHECK(loop.chunks_committed_twice() == 0);
  CHECK(loop.integrity_check() == "ok");
  // Orphans are rescued as the runner starts (their owner's pid is gone), not when a lease expires (30 s).
  CHECK(max_of(orphan_to_rerun_ms) < 2'000);

  std::cout << "crash loop: " << kills << " kills survived, " << loop.workload() << "\n"
            << "crash loop: chunk re-executions per kill: max " << max_of(redone_per_kill) << ", mean "
            << mean_of(redone_per_kill) << "\n"
            << "crash loop: restart to orphan running again: median " << median_of(orphan_to_rerun_ms)
            << " ms, max " << max_of(orphan_to_rerun_ms) << " ms over " << orphan_to_rerun_ms.size()
            << " restarts (start to READY: median " << median_of(to_ready_ms) << " ms, max "
            << max_of(to_ready_ms) << " ms)" << std::endl;
}

}  // namespace jobrunner::testing
