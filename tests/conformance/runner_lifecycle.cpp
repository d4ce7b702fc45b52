// Conformance: the Runner over each engine — outcomes, retries, schedules, order, limits, cancel,
// pause, unique and prune. Time moves only when a test advances the fake clock.
#include "support/runner_harness.h"

namespace jobrunner::testing {

#define RUNNER_TEST(name) \
  TEMPLATE_TEST_CASE(name, "[conformance][runner][concurrency]", LiteEngineFixture, DurableEngineFixture)

RUNNER_TEST("a job inserted through the runner runs and completes with its result") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job done = h.run_once({{"do", "ok"}, {"result", {{"answer", 42}}}});
  CHECK(done.state == JobState::completed);
  CHECK(done.result == json{{"answer", 42}});
  CHECK(done.attempt == 1);
  CHECK(done.finished_at == h.f.now());
  CHECK_FALSE(done.lease);
}

RUNNER_TEST("an error is retried after the worker's backoff and discarded when attempts are spent") {
  WorkerOptions o;
  o.max_attempts = 2;
  RunnerHarness<TestType> h(10, o, Millis(10'000));
  REQUIRE(h.runner().start().is_ok());
  Job failed = h.run_once({{"do", "error"}, {"message", "boom"}});
  CHECK(failed.state == JobState::retryable);
  CHECK(failed.scheduled_at == h.f.now() + 10'000);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message == "boom");
  CHECK(failed.errors[0].attempt == 1);

  h.f.clock->advance(Millis(9'999));
  CHECK(h.runner().stage_once().value() == 0);
  h.f.clock->advance(Millis(1));
  REQUIRE(h.wait_stopped(failed.id, 2));
  Job discarded = h.get(failed.id);
  CHECK(discarded.state == JobState::discarded);
  CHECK(discarded.attempt == 2);
  CHECK(discarded.errors.size() == 2);
  CHECK(h.probe->starts(failed.id) == 2);
}

RUNNER_TEST("an exception escaping a worker is recorded as an error, and the runner keeps running") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job failed = h.run_once({{"do", "throw"}, {"message", "worker blew up"}});
  CHECK(failed.state == JobState::retryable);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message == "worker blew up");
  CHECK(h.events->count(EventKind::job_exception, failed.id) == 1);

  CHECK(h.run_once({{"do", "ok"}}).state == JobState::completed);
}

RUNNER_TEST("a job for a worker nobody registered is an error entry and a retry, not a crash") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  NewJob job;
  job.worker = "TestJb";
  auto r = h.runner().insert(job);
  REQUIRE(r.is_ok());
  REQUIRE(h.wait_stopped(r->job.id));
  Job failed = h.get(r->job.id);
  CHECK(failed.state == JobState::retryable);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message == "unknown worker TestJb");
}

RUNNER_TEST("discard and cancel outcomes are final and record their reason") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job d = h.insert({{"do", "discard"}, {"message", "bad input"}});
  Job c = h.insert({{"do", "cancel"}, {"message", "not needed"}});
  REQUIRE(h.wait_stopped(d.id));
  REQUIRE(h.wait_stopped(c.id));
  Job discarded = h.get(d.id);
  Job cancelled = h.get(c.id);
  CHECK(discarded.state == JobState::discarded);
  CHECK(cancelled.state == JobState::cancelled);
  REQUIRE_FALSE(discarded.errors.empty());
  CHECK(discarded.errors.back().message == "bad input");
  REQUIRE_FALSE(cancelled.errors.empty());
  CHECK(cancelled.errors.back().message == "not needed");
}

RUNNER_TEST("a snoozed job waits its delay without spending an attempt, then runs again") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job snoozed = h.run_once({{"do", "snooze"}, {"snooze_ms", 5'000}});
  CHECK(snoozed.state == JobState::scheduled);
  CHECK(snoozed.attempt == 0);
  CHECK(snoozed.scheduled_at == h.f.now() + 5'000);
  h.f.clock->advance(Millis(5'000));
  REQUIRE(h.wait_stopped(snoozed.id, 2));
  CHECK(h.probe->starts(snoozed.id) == 2);
}

RUNNER_TEST("a scheduled job is not run before its time and runs once it comes") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "ok"}}, [&](NewJob& j) { j.scheduled_at = h.f.now() + 60'000; });
  CHECK(job.state == JobState::scheduled);
  Job now = h.insert({{"do", "ok"}});
  REQUIRE(h.wait_stopped(now.id));
  CHECK(h.probe->starts(job.id) == 0);
  CHECK(h.runner().stage_once().value() == 0);
  h.f.clock->advance(Millis(60'000));
  REQUIRE(h.wait_stopped(job.id));
  CHECK(h.get(job.id).state == JobState::completed);
}

RUNNER_TEST("jobs start by priority, then in insertion order") {
  RunnerHarness<TestType> h(1);
  REQUIRE(h.runner().pause("default").is_ok());
  REQUIRE(h.runner().start().is_ok());
  std::vector<JobId> ids;
  for (int priority : {5, 0, 9, 0, 5}) {
    ids.push_back(h.insert({{"do", "ok"}}, [&](NewJob& j) { j.priority = priority; }).id);
  }
  REQUIRE(h.runner().resume("default").is_ok());
  for (JobId id : ids) REQUIRE(h.wait_stopped(id));
  CHECK(h.probe->start_order() == std::vector<JobId>{ids[1], ids[3], ids[0], ids[4], ids[2]});
}

RUNNER_TEST("a queue's concurrency limit is never exceeded") {
  RunnerHarness<TestType> h(3);
  REQUIRE(h.runner().start().is_ok());
  std::vector<JobId> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(h.insert({{"do", "wait_gate"}}).id);
  // Inside perform(), not only announced by job_start: opening the gate before the third is in
  // could let two finish before it begins.
  REQUIRE(h.probe->wait_running(3));
  CHECK(h.runner().executing() == 3);
  h.probe->open_gate();
  for (JobId id : ids) REQUIRE(h.wait_stopped(id));
  CHECK(h.probe->max_concurrent() == 3);
}

RUNNER_TEST("a runner runs nothing from a paused queue until it is resumed") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  REQUIRE(h.runner().pause("default").is_ok());
  Job job = h.insert({{"do", "ok"}});
  Job other = h.insert({{"do", "ok"}}, [](NewJob& j) { j.queue = "other"; });
  CHECK(h.runner().stage_once().is_ok());
  CHECK(h.get(job.id).state == JobState::available);
  CHECK(h.get(other.id).state == JobState::available);  // no runner serves "other"
  REQUIRE(h.runner().resume("default").is_ok());
  REQUIRE(h.wait_stopped(job.id));
  CHECK(h.get(job.id).state == JobState::completed);
}

RUNNER_TEST("cancelling a running job stops it through its stop token with reason cancel") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "wait_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));
  auto cancelled = h.runner().cancel(job.id);
  REQUIRE(cancelled.is_ok());
  REQUIRE(h.wait_stopped(job.id));
  Job after = h.get(job.id);
  CHECK(after.state == JobState::cancelled);
  auto records = h.events->records();
  auto stop = std::find_if(records.begin(), records.end(), [&](const EventLog::Record& r) {
    return r.job_id == job.id && (r.kind == EventKind::job_stop || r.kind == EventKind::job_interrupted);
  });
  REQUIRE(stop != records.end());
  CHECK(stop->stop_reason == StopReason::cancel);
}

RUNNER_TEST("a cancelled waiting job never runs") {
  RunnerHarness<TestType> h;
  Job job = h.insert({{"do", "ok"}});
  REQUIRE(h.runner().cancel(job.id).is_ok());
  REQUIRE(h.runner().start().is_ok());
  Job marker = h.insert({{"do", "ok"}});
  REQUIRE(h.wait_stopped(marker.id));
  CHECK(h.probe->starts(job.id) == 0);
  CHECK(h.get(job.id).state == JobState::cancelled);
}

RUNNER_TEST("a worker's timeout fires its stop token with reason timeout and the attempt becomes an error") {
  WorkerOptions o;
  o.timeout = Millis(30'000);
  RunnerHarness<TestType> h(10, o);
  REQUIRE(h.runner().start().is_ok());
  Job job = h.insert({{"do", "wait_stop"}});
  REQUIRE(h.events->wait_for(EventKind::job_start, 1, job.id));
  h.f.clock->advance(Millis(30'000));
  REQUIRE(h.wait_stopped(job.id));
  Job failed = h.get(job.id);
  CHECK(failed.state == JobState::retryable);
  REQUIRE(failed.errors.size() == 1);
  CHECK(failed.errors[0].message.find("timed out") != std::string::npos);
}

RUNNER_TEST("a unique insert returns the existing job and says it is a duplicate") {
  RunnerHarness<TestType> h;
  NewJob job;
  job.worker = kScripted;
  job.args = {{"do", "ok"}, {"n", 1}};
  job.unique = UniqueOptions{};
  auto first = h.runner().insert(job);
  auto second = h.runner().insert(job);
  REQUIRE(first.is_ok());
  REQUIRE(second.is_ok());
  CHECK_FALSE(first->duplicate);
  CHECK(second->duplicate);
  CHECK(second->job.id == first->job.id);
}

RUNNER_TEST("pruning removes only finished jobs older than the configured age") {
  RunnerHarness<TestType> h;
  REQUIRE(h.runner().start().is_ok());
  Job old_job = h.insert({{"do", "ok"}});
  REQUIRE(h.wait_stopped(old_job.id));
  h.f.clock->advance(Millis(8LL * 24 * 3600 * 1000));
  Job recent = h.insert({{"do", "ok"}});
  Job waiting = h.insert({{"do", "ok"}}, [&](NewJob& j) { j.scheduled_at = h.f.now() + 3'600'000; });
  REQUIRE(h.wait_stopped(recent.id));
  REQUIRE(h.runner().prune_once().is_ok());  // the runner's own pruner may have got there first
  CHECK(h.f.engine->job_get(old_job.id).status().code() == StatusCode::not_found);
  CHECK(h.get(recent.id).state == JobState::completed);
  CHECK(h.get(waiting.id).state == JobState::scheduled);
}

RUNNER_TEST("bad inserts are rejected with a clear error and store nothing") {
  RunnerHarness<TestType> h;
  auto bad = [&](std::function<void(NewJob&)> tweak) {
    NewJob job;
    job.worker = kScripted;
    tweak(job);
    auto r = h.runner().insert(job);
    CHECK(r.status().code() == StatusCode::invalid_argument);
    return r.status().message();
  };
  CHECK(bad([](NewJob& j) { j.args = json::array(); }).find("JSON object") != std::string::npos);
  CHECK(bad([](NewJob& j) { j.worker = ""; }).find("worker") != std::string::npos);
  CHECK(bad([](NewJob& j) { j.queue = "no spaces"; }).find("queue") != std::string::npos);
  CHECK(bad([](NewJob& j) { j.priority = 10; }).find("priority") != std::string::npos);
  CHECK(bad([](NewJob& j) { j.max_attempts = -1; }).find("max_attempts") != std::string::npos);
  auto all = h.f.engine->job_list({});
  REQUIRE(all.is_ok());
  CHECK(all->empty());
}

}  // namespace jobrunner::testing
