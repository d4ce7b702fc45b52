// examples/chunked_worker.cpp as the README runs it: a SIGTERM stops it cleanly after its current
// chunk, and the next run resumes the job from its checkpoint.
#include <catch2/catch.hpp>
#include <csignal>

#include "process/process_util.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

// Runs the example on `db` until its output holds `after`, then sends SIGTERM; the example must exit 0.
// Returns its output.
std::string run_until(const std::string& db, std::string_view after) {
  Process example({CHUNKED_WORKER_BIN, db});
  INFO(after);
  CHECK(example.wait_for_stdout(after, 10s));
  example.signal(SIGTERM);
  auto exit = example.wait_for_exit(10s);
  INFO(example.out() << example.err());
  REQUIRE(exit.has_value());
  CHECK(exit->exited_with(0));
  return example.out();
}

}  // namespace

TEST_CASE("the chunked worker example stops cleanly on SIGTERM and resumes from its checkpoint") {
  TempDir dir;
  const std::string db = dir.file("example.db");
  std::string first = run_until(db, "chunk 1/10 done: sum 1");
  CHECK_THAT(first, Catch::Contains("stopped: 1 interrupted, 0 completed"));

  std::string second = run_until(db, "done: sum");
  CHECK_THAT(second, Catch::Contains("resuming from its checkpoint"));
  CHECK_THAT(second, !Catch::Contains("chunk 1/10 done"));
}

}  // namespace jobrunner::testing
