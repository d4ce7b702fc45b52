// Conformance: inserting jobs, one at a time, in batches, and as unique jobs.
#include <functional>

#include "support/engines.h"

namespace jobrunner::testing {
namespace {

std::int64_t stored_jobs(Engine& engine) {
  auto counts = engine.job_count({});
  REQUIRE(counts.status() == Status::ok());
  std::int64_t total = 0;
  for (const StateCount& c : *counts) total += c.count;
  return total;
}

// [[[...]]], `depth` arrays deep, built without recursion.
json nested_arrays(int depth) {
  json value = json::array();
  for (int i = 1; i < depth; ++i) value = json::array({std::move(value)});
  return value;
}

NewJob unique_job(json args, UniqueOptions unique = {}) {
  NewJob job = echo_job(std::move(args));
  job.unique = std::move(unique);
  return job;
}

}  // namespace

TEMPLATE_TEST_CASE("an inserted job is available at once with no attempt made", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Job job = insert_job(*f.engine, echo_job({{"n", 1}}), f.now());

  CHECK(job.id == 1);
  CHECK(job.state == JobState::available);
  CHECK(job.attempt == 0);
  CHECK(job.inserted_at == f.now());
  CHECK(job.scheduled_at == f.now());
  CHECK_FALSE(job.attempted_at);
  CHECK_FALSE(job.finished_at);
  CHECK_FALSE(job.lease);
  CHECK_FALSE(job.progress);
  CHECK(job.errors.empty());
  CHECK(job.checkpoint.is_null());
  CHECK(job.result.is_null());
  CHECK_FALSE(job.unique_key);
}

TEMPLATE_TEST_CASE("every field of an inserted job reads back as it was given", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob given;
  given.worker = "mailer";
  given.queue = "mail.outbound-2";
  given.args = {{"to", "ada@example.com"}, {"nested", {{"list", {1, 2.5, "three", nullptr, true}}}}};
  given.priority = 7;
  given.max_attempts = 3;
  given.meta = {{"trace", "abc"}, {"origin", {{"host", "h1"}}}};
  given.tags = {"mail", "urgent"};

  const Job inserted = insert_job(*f.engine, given, f.now());
  const Job read = get_job(*f.engine, inserted.id);

  for (const Job& job : {inserted, read}) {
    CHECK(job.worker == given.worker);
    CHECK(job.queue == given.queue);
    CHECK(job.args == given.args);
    CHECK(job.priority == 7);
    CHECK(job.max_attempts == 3);
    CHECK(job.meta == given.meta);
    CHECK(job.tags == given.tags);
  }
}

TEMPLATE_TEST_CASE("job ids increase from 1 in insertion order", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  for (JobId expected = 1; expected <= 5; ++expected) {
    CHECK(insert_job(*f.engine, echo_job({{"n", expected}}), f.now()).id == expected);
  }
}

TEMPLATE_TEST_CASE("a job with a bad field is rejected and nothing is stored", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const std::pair<const char*, std::function<void(NewJob&)>> cases[] = {
      {"args not an object",
       [](NewJob& j) {
         j.args = json::array({1, 2});
       }},
      {"empty worker", [](NewJob& j) { j.worker.clear(); }},
      {"empty queue", [](NewJob& j) { j.queue.clear(); }},
      {"queue with a space", [](NewJob& j) { j.queue = "bad queue"; }},
      {"priority 10", [](NewJob& j) { j.priority = 10; }},
      {"priority -1", [](NewJob& j) { j.priority = -1; }},
      {"max_attempts 0", [](NewJob& j) { j.max_attempts = 0; }},
      {"args nested 10,000 deep",
       [](NewJob& j) {
         j.args = {{"a", nested_arrays(10'000)}};
       }},
      {"args one level deeper than the limit",
       [](NewJob& j) {
         j.args = {{"a", nested_arrays(kMaxJsonDepth)}};
       }},
      {"args over 1 MiB",
       [](NewJob& j) {
         j.args = {{"a", std::string(kMaxArgsBytes, 'x')}};
       }},
      {"meta nested 10,000 deep",
       [](NewJob& j) {
         j.meta = {{"a", nested_arrays(10'000)}};
       }},
  };
  for (const auto& [what, spoil] : cases) {
    INFO(what);
    NewJob job = echo_job();
    spoil(job);
    auto inserted = f.engine->job_insert(job, f.now());
    CHECK(inserted.status().code() == StatusCode::invalid_argument);
    auto batch = f.engine->job_insert_many(std::span(&job, 1), f.now());
    CHECK(batch.status().code() == StatusCode::invalid_argument);
  }
  CHECK(stored_jobs(*f.engine) == 0);
  auto listed = f.engine->job_list({});
  REQUIRE(listed.is_ok());
  CHECK(listed->empty());
}

TEMPLATE_TEST_CASE("args at the limits of depth and size are stored and read back", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  NewJob deep = echo_job();
  deep.args = {{"a", nested_arrays(kMaxJsonDepth - 1)}};
  NewJob big = echo_job();
  big.args = {{"a", std::string(kMaxArgsBytes - std::string(R"({"a":""})").size(), 'x')}};
  REQUIRE(big.args.dump().size() == kMaxArgsBytes);
  for (const NewJob& job : {deep, big}) {
    const Job inserted = insert_job(*f.engine, job, f.now());
    auto read = f.engine->job_get(inserted.id);
    REQUIRE(read.is_ok());
    CHECK(read->args == job.args);
  }
}

TEMPLATE_TEST_CASE("a batch insert stores every job or none", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  std::vector<NewJob> batch = {echo_job({{"n", 1}}), echo_job({{"n", 2}}), echo_job({{"n", 3}}, "other")};
  auto inserted = f.engine->job_insert_many(batch, f.now());
  REQUIRE(inserted.status() == Status::ok());
  REQUIRE(inserted->size() == 3);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    CHECK((*inserted)[i].job.args == batch[i].args);
    CHECK((*inserted)[i].job.queue == batch[i].queue);
    CHECK_FALSE((*inserted)[i].duplicate);
  }

  batch[1].priority = 10;
  CHECK(f.engine->job_insert_many(batch, f.now()).status().code() == StatusCode::invalid_argument);
  CHECK(stored_jobs(*f.engine) == 3);
}

TEMPLATE_TEST_CASE("a job scheduled for later waits as scheduled", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  NewJob later = echo_job();
  later.scheduled_at = f.now() + 60'000;
  const Job job = insert_job(*f.engine, later, f.now());
  CHECK(job.state == JobState::scheduled);
  CHECK(job.scheduled_at == f.now() + 60'000);
  CHECK(get_job(*f.engine, job.id).state == JobState::scheduled);
}

TEMPLATE_TEST_CASE("a unique job with the worker, queue and args of a waiting one is a duplicate",
                   "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Job first = insert_job(*f.engine, unique_job({{"user", 42}}), f.now());
  CHECK(first.unique_key);

  auto again = f.engine->job_insert(unique_job({{"user", 42}}), f.now());
  REQUIRE(again.is_ok());
  CHECK(again->duplicate);
  CHECK(again->job.id == first.id);

  insert_job(*f.engine, unique_job({{"user", 43}}), f.now());
  NewJob other_queue = unique_job({{"user", 42}});
  other_queue.queue = "other";
  insert_job(*f.engine, other_queue, f.now());
  NewJob other_worker = unique_job({{"user", 42}});
  other_worker.worker = "other";
  insert_job(*f.engine, other_worker, f.now());
  CHECK(stored_jobs(*f.engine) == 4);
}

TEMPLATE_TEST_CASE("a unique job with an explicit key is a duplicate whatever its args", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const Job first = insert_job(*f.engine, unique_job({{"n", 1}}, {.key = "daily-report"}), f.now());
  auto again = f.engine->job_insert(unique_job({{"n", 2}}, {.key = "daily-report"}), f.now());
  REQUIRE(again.is_ok());
  CHECK(again->duplicate);
  CHECK(again->job.id == first.id);
  CHECK(again->job.args == json{{"n", 1}});

  insert_job(*f.engine, unique_job({{"n", 1}}, {.key = "weekly-report"}), f.now());
}

TEMPLATE_TEST_CASE("a unique period counts only jobs inserted within it", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  const UniqueOptions minute{.period = Millis(60'000)};
  const Job first = insert_job(*f.engine, unique_job({{"n", 1}}, minute), f.now());

  f.clock->advance(Millis(30'000));
  auto within = f.engine->job_insert(unique_job({{"n", 1}}, minute), f.now());
  REQUIRE(within.is_ok());
  CHECK(within->duplicate);
  CHECK(within->job.id == first.id);

  f.clock->advance(Millis(31'000));
  CHECK(insert_job(*f.engine, unique_job({{"n", 1}}, minute), f.now()).id != first.id);
}

TEMPLATE_TEST_CASE("unique states decide which earlier jobs count", "[conformance]", LiteEngineFixture,
                   DurableEngineFixture) {
  TestType f;
  SECTION("a job in a state left out is no duplicate") {
    const UniqueOptions while_available{.states = {JobState::available}};
    insert_job(*f.engine, unique_job({{"n", 1}}, while_available), f.now());
    claim_job(*f.engine, f.now());
    insert_job(*f.engine, unique_job({{"n", 1}}, while_available), f.now());
  }
  SECTION("by default a completed job counts and a discarded one does not") {
    insert_job(*f.engine, unique_job({{"n", 1}}), f.now());
    REQUIRE(
        finish_job(*f.engine, outcome(claim_job(*f.engine, f.now()), FinishKind::complete, f.now())).is_ok());
    auto again = f.engine->job_insert(unique_job({{"n", 1}}), f.now());
    REQUIRE(again.is_ok());
    CHECK(again->duplicate);

    insert_job(*f.engine, unique_job({{"n", 2}}), f.now());
    auto discard = outcome(claim_job(*f.engine, f.now()), FinishKind::discard, f.now());
    discard.message = "bad input";
    REQUIRE(finish_job(*f.engine, discard).is_ok());
    insert_job(*f.engine, unique_job({{"n", 2}}), f.now());
  }
}

TEMPLATE_TEST_CASE("a unique job repeated within one batch is a duplicate of the first", "[conformance]",
                   LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  const std::vector<NewJob> batch = {unique_job({{"n", 1}}), unique_job({{"n", 1}}), unique_job({{"n", 2}})};
  auto inserted = f.engine->job_insert_many(batch, f.now());
  REQUIRE(inserted.status() == Status::ok());
  REQUIRE(inserted->size() == 3);
  CHECK_FALSE((*inserted)[0].duplicate);
  CHECK((*inserted)[1].duplicate);
  CHECK((*inserted)[1].job.id == (*inserted)[0].job.id);
  CHECK_FALSE((*inserted)[2].duplicate);
  CHECK(stored_jobs(*f.engine) == 2);
}

}  // namespace jobrunner::testing

namespace jobrunner::testing {

TEMPLATE_TEST_CASE(
    "a large batch mixing plain and unique jobs stores each as given, ids in the batch's order",
    "[conformance]", LiteEngineFixture, DurableEngineFixture) {
  TestType f;
  insert_job(*f.engine, unique_job({{"n", "earlier"}}), f.now());  // job 1, a duplicate target below
  std::vector<NewJob> batch;
  for (int i = 0; i < 130; ++i) {
    NewJob job = i % 40 == 7 ? unique_job({{"n", i}}) : echo_job({{"n", i}});
    job.priority = i % 10;
    job.tags = {"t" + std::to_string(i)};
    if (i % 3 == 0) job.scheduled_at = f.now() + 60'000;
    batch.push_back(std::move(job));
  }
  batch.push_back(unique_job({{"n", "earlier"}}));
  batch.push_back(echo_job({{"n", "last"}}));

  auto inserted = f.engine->job_insert_many(batch, f.now());
  REQUIRE(inserted.status() == Status::ok());
  REQUIRE(inserted->size() == batch.size());
  JobId expected_id = 2;
  for (std::size_t i = 0; i + 2 < batch.size(); ++i) {
    const InsertResult& r = (*inserted)[i];
    CHECK_FALSE(r.duplicate);
    CHECK(r.job.id == expected_id++);
    const Job read = get_job(*f.engine, r.job.id);
    for (const Job& job : {r.job, read}) {
      CHECK(job.args == batch[i].args);
      CHECK(job.priority == batch[i].priority.value());
      CHECK(job.tags == batch[i].tags);
      CHECK(job.state == (i % 3 == 0 ? JobState::scheduled : JobState::available));
      CHECK(job.unique_key.has_value() == batch[i].unique.has_value());
    }
  }
  const InsertResult& dup = (*inserted)[batch.size() - 2];
  CHECK(dup.duplicate);
  CHECK(dup.job.id == 1);
  CHECK((*inserted).back().job.id == expected_id);
  CHECK(stored_jobs(*f.engine) ==
        static_cast<std::int64_t>(batch.size()));  // 1 earlier + all but the duplicate
}

}  // namespace jobrunner::testing
