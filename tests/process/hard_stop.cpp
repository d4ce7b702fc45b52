// Hard stop: a second SIGTERM while the first waits for long chunks releases the running jobs at
// once. The released jobs go back to available with their last checkpoint, attempt not spent, and
// the next start redoes only the chunk that was cut short.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <set>
#include <sstream>

#include "loop_support.h"

namespace jobrunner::testing {

namespace {

constexpr std::size_t kJobs = 2;
constexpr std::int64_t kChunks = 3;
// Long enough that a graceful stop would visibly wait for it.
constexpr Millis kSlowChunk{5'000};
constexpr Millis kPrompt{1'000};

// Waits until every job has announced chunk `chunk` (so each has saved the chunks before it).
void wait_for_chunk(Child& host, std::int64_t chunk) {
  std::set<std::string> jobs;
  while (jobs.size() < kJobs) {
    auto line = host.wait_for_line("CHUNK ", Millis(30'000));
    REQUIRE(line);
    std::istringstream words(*line);
    std::string word, job;
    std::int64_t index = -1;
    words >> word >> job >> index;
    if (index == chunk) jobs.insert(job);
  }
}

}  // namespace

TEST_CASE("hard stop: a second SIGTERM during the grace wait releases the jobs at once, losing nothing",
          "[process][shutdown]") {
  HostOptions options;
  options.jobs = static_cast<int>(kJobs);
  options.chunks = kChunks;
  options.announce_chunks = true;
  // Chunks long enough that the first SIGTERM arrives while chunk 1 runs: it finishes and is saved.
  options.set_chunk(Millis(300));
  HostLoop loop(options);
  HostRun first = loop.start();
  wait_for_chunk(*first.child, 1);
  first.child->signal(SIGTERM);
  auto first_status = first.child->wait_exit(Millis(10'000));
  REQUIRE(first_status);
  REQUIRE(describe_status(*first_status) == "exited 0");

  // Now chunk 2 of each job is a long one; the first SIGTERM waits for it, the second does not.
  loop.options.set_chunk(kSlowChunk);
  HostRun slow = loop.start();
  wait_for_chunk(*slow.child, 2);
  slow.child->signal(SIGTERM);
  REQUIRE(slow.child->wait_for_line("DRAINING", Millis(10'000)));
  auto second = std::chrono::steady_clock::now();
  slow.child->signal(SIGTERM);
  auto status = slow.child->wait_exit(kSlowChunk);
  REQUIRE(status);
  auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - second);
  CHECK(took < kPrompt);
  CHECK(describe_status(*status) == "exited 0");
  auto report = slow.child->wait_for_line("STOPPED", Millis(0));
  REQUIRE(report);
  CHECK_THAT(*report, Catch::Contains("released=" + std::to_string(kJobs)));
  for (const JobSample& job : loop.sample()) {
    CHECK(job.state == JobState::available);
    CHECK_FALSE(job.leased);
    CHECK(job.attempt == 0);  // a release gives the attempt back, like an interruption
    CHECK(job.next_chunk == 2);
  }

  loop.options.set_chunk(Millis(20));
  loop.run_to_completion();
  std::map<JobId, std::int64_t> starts = loop.starts();
  for (const JobSample& job : loop.sample()) {
    CHECK(job.state == JobState::completed);
    CHECK(starts[job.id] == kChunks + 1);  // the released chunk, done again
  }
  CHECK(loop.chunks_committed_twice() == 0);
  std::cout << "hard stop: second SIGTERM to exit " << took.count() << " ms with " << kJobs << " jobs in "
            << kSlowChunk.count() << " ms chunks" << std::endl;
}

}  // namespace jobrunner::testing
