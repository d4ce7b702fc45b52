// The command line on the real binary and a temporary database: what each command prints, with
// and without --json, and what it changes.
#include <catch2/catch.hpp>
#include <filesystem>

#include "jobrunner/time_text.h"
#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

const json kFastJob = {{"duration_ms", 300}, {"chunk_ms", 100}};

}  // namespace

TEST_CASE("enqueue prints the new job's id, and with --json the id and whether it was a duplicate") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  Completed plain = jobrunner({"enqueue", "TestJob", "--db", db, "--args", kFastJob.dump()});
  CHECK(plain.status.exited_with(0));
  CHECK(plain.out == "1\n");

  json first = jobrunner_json({"enqueue", "TestJob", "--db", db, "--unique-key", "nightly", "--json"});
  CHECK(first == json{{"id", 2}, {"duplicate", false}});
  json again = jobrunner_json({"enqueue", "TestJob", "--db", db, "--unique-key", "nightly", "--json"});
  CHECK(again == json{{"id", 2}, {"duplicate", true}});

  Completed duplicate = jobrunner({"enqueue", "TestJob", "--db", db, "--unique-key", "nightly"});
  CHECK(duplicate.status.exited_with(0));
  CHECK(duplicate.out == "2\n");
  CHECK_THAT(duplicate.err, Catch::Contains("already exists"));
}

TEST_CASE("the database defaults to $JOBRUNNER_DB") {
  TempDir dir;
  std::string db = dir.file("nested/from-env.db");
  Completed r = jobrunner({"enqueue", "TestJob"}, {{"JOBRUNNER_DB", db}});
  CHECK(r.status.exited_with(0));
  CHECK(job_in(*open_database(db), 1).worker == "TestJob");
}

TEST_CASE("jobs lists jobs as a table, or as JSON filtered by state, queue and worker") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  enqueue_test_job(db, kFastJob);
  jobrunner_json({"enqueue", "TestJob", "--db", db, "--queue", "mail", "--json"});
  jobrunner_json({"enqueue", "TestJob", "--db", db, "--in", "1h", "--json"});

  Completed table = jobrunner({"jobs", "--db", db});
  CHECK(table.status.exited_with(0));
  CHECK_THAT(table.out, Catch::StartsWith("ID  WORKER   QUEUE    STATE"));
  CHECK_THAT(table.out, Catch::Contains("mail"));
  CHECK_THAT(table.out, Catch::Contains("scheduled"));

  json all = jobrunner_json({"jobs", "--db", db, "--json"});
  REQUIRE(all.size() == 3);
  CHECK(all[0]["id"] == 3);  // newest first
  json scheduled = jobrunner_json({"jobs", "--db", db, "--state", "scheduled", "--json"});
  REQUIRE(scheduled.size() == 1);
  CHECK(scheduled[0]["id"] == 3);
  json mail = jobrunner_json({"jobs", "--db", db, "--queue", "mail", "--json"});
  REQUIRE(mail.size() == 1);
  CHECK(mail[0]["queue"] == "mail");
  CHECK(jobrunner_json({"jobs", "--db", db, "--worker", "Nobody", "--json"}).empty());
  CHECK(jobrunner_json({"jobs", "--db", db, "--state", "available,scheduled", "--limit", "2", "--json"})
            .size() == 2);
}

TEST_CASE("show --json has every field of the job, its times in ISO-8601 UTC") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  JobId id = enqueue_test_job(db, kFastJob);
  json job = jobrunner_json({"show", std::to_string(id), "--db", db, "--json"});
  for (const char* key :
       {"id", "worker", "queue", "state", "priority", "attempt", "max_attempts", "args", "meta", "errors",
        "checkpoint", "progress", "result", "inserted_at", "scheduled_at", "attempted_at", "finished_at"}) {
    CHECK(job.contains(key));
  }
  CHECK(job["id"] == id);
  CHECK(job["worker"] == "TestJob");
  CHECK(job["state"] == "available");
  CHECK(job["args"] == kFastJob);
  CHECK(job["max_attempts"] == 3);
  CHECK(job["errors"] == json::array());
  CHECK(job["attempted_at"].is_null());
  std::string inserted = job["inserted_at"];
  CHECK(inserted.ends_with("Z"));
  CHECK(parse_timestamp(inserted).is_ok());

  Completed human = jobrunner({"show", std::to_string(id), "--db", db});
  CHECK(human.status.exited_with(0));
  CHECK_THAT(human.out, Catch::StartsWith("Job 1 (TestJob)"));
  CHECK_THAT(human.out, Catch::Contains("inserted_at   " + inserted));
}

TEST_CASE("cancel and retry change a job and print its new state") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  JobId id = enqueue_test_job(db, kFastJob);
  Completed cancel = jobrunner({"cancel", std::to_string(id), "--db", db});
  CHECK(cancel.status.exited_with(0));
  CHECK(cancel.out == "Job 1 (TestJob) is now cancelled\n");
  CHECK(job_in(*open_database(db), id).state == JobState::cancelled);

  Completed twice = jobrunner({"cancel", std::to_string(id), "--db", db});
  CHECK(twice.status.exited_with(1));
  CHECK_THAT(twice.err, Catch::Contains("already cancelled"));

  Completed retry = jobrunner({"retry", std::to_string(id), "--db", db});
  CHECK(retry.status.exited_with(0));
  CHECK(retry.out == "Job 1 (TestJob) is now available\n");
  CHECK(job_in(*open_database(db), id).state == JobState::available);
}

TEST_CASE("pause and resume a queue, and stats shows it paused with counts per queue and state") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  enqueue_test_job(db, kFastJob);
  enqueue_test_job(db, kFastJob);
  jobrunner_json({"enqueue", "TestJob", "--db", db, "--queue", "mail", "--json"});
  Completed pause = jobrunner({"pause", "mail", "--db", db});
  CHECK(pause.status.exited_with(0));
  CHECK_THAT(pause.out, Catch::StartsWith("Queue mail paused"));

  json stats = jobrunner_json({"stats", "--db", db, "--json"});
  REQUIRE(stats["queues"].size() == 2);
  CHECK(stats["queues"][0]["name"] == "default");
  CHECK(stats["queues"][0]["paused"] == false);
  CHECK(stats["queues"][0]["counts"]["available"] == 2);
  CHECK(stats["queues"][0]["counts"]["completed"] == 0);
  CHECK(stats["queues"][1]["name"] == "mail");
  CHECK(stats["queues"][1]["paused"] == true);
  CHECK(stats["queues"][1]["counts"]["available"] == 1);
  CHECK(stats["executing"] == json::array());

  Completed human = jobrunner({"stats", "--db", db});
  CHECK_THAT(human.out, Catch::Contains("mail     yes"));

  CHECK(jobrunner({"resume", "mail", "--db", db}).status.exited_with(0));
  CHECK(jobrunner_json({"stats", "--db", db, "--json"})["queues"][1]["paused"] == false);
}

TEST_CASE("prune deletes finished jobs older than the age, and nothing younger") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  JobId finished = enqueue_test_job(db, kFastJob);
  JobId waiting = enqueue_test_job(db, kFastJob);
  REQUIRE(jobrunner({"cancel", std::to_string(finished), "--db", db}).status.exited_with(0));

  Completed young = jobrunner({"prune", "--db", db});
  CHECK(young.status.exited_with(0));
  CHECK_THAT(young.out, Catch::StartsWith("Pruned 0 job(s)"));
  // Two processes cannot start in the same millisecond, so the job finished before "now".
  Completed all = jobrunner({"prune", "--older-than", "0s", "--db", db});
  CHECK(all.status.exited_with(0));
  CHECK_THAT(all.out, Catch::StartsWith("Pruned 1 job(s)"));
  auto engine = open_database(db);
  CHECK(engine->job_get(finished).status().code() == StatusCode::not_found);
  CHECK(job_in(*engine, waiting).state == JobState::available);
}

TEST_CASE("usage errors exit 2 with a one-line message and insert nothing") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  std::vector<std::vector<std::string>> bad = {
      {"enqueue", "TestJob", "--args", "{not json"},
      {"enqueue", "TestJob", "--args", "[1, 2]"},
      {"enqueue", "TestJob", "--args", R"({"duration_ms": -5})"},
      {"enqueue", "TestJob", "--in", "5 parsecs"},
      {"enqueue", "TestJob", "--at", "tomorrow"},
      {"enqueue", "TestJob", "--priority", "12"},
      {"enqueue", "TestJob", "--queue", "no spaces"},
      {"enqueue", "TestJob", "--bogus"},
      {"demo", "custom", "1m"},
      {"jobs", "--state", "sleeping"},
      {"show", "not-a-number"},
      {"pause", "no spaces"},
      {"prune", "--older-than", "a while"},
      {"run", "--http", "8080"},
      {"run", "--log-format", "xml"},
      {"run", "--grace", "soon"},
      {"frobnicate"},
  };
  for (auto args : bad) {
    args.insert(args.end(), {"--db", db});
    Completed r = jobrunner(args);
    INFO(args[0] << " " << args[1] << "\nstderr: " << r.err);
    CHECK(r.status.exited_with(2));
    CHECK_THAT(r.err, Catch::StartsWith("jobrunner: "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
  }
  CHECK_FALSE(std::filesystem::exists(db));  // not even created
}

TEST_CASE("runtime errors exit 1, database errors 3, with a one-line message that says what to do") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  enqueue_test_job(db, kFastJob);

  Completed missing = jobrunner({"show", "99", "--db", db});
  CHECK(missing.status.exited_with(1));
  CHECK_THAT(missing.err, Catch::Contains("no job 99") && Catch::Contains("jobrunner jobs"));

  std::string not_db = dir.file("notes.txt");
  std::FILE* f = std::fopen(not_db.c_str(), "w");
  std::fputs("these are not the jobs you are looking for, padded to more than a page of text. ", f);
  for (int i = 0; i < 100; ++i) std::fputs("padding padding padding padding ", f);
  std::fclose(f);
  Completed wrong_file = jobrunner({"jobs", "--db", not_db});
  CHECK(wrong_file.status.exited_with(3));
  CHECK_THAT(wrong_file.err, Catch::StartsWith("jobrunner: " + not_db));

  Completed no_dir = jobrunner({"enqueue", "TestJob", "--db", not_db + "/sub/jobs.db"});
  CHECK(no_dir.status.exited_with(3));
  CHECK_THAT(no_dir.err, Catch::Contains("cannot create the directory"));

  for (const Completed& r : {missing, wrong_file, no_dir})
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("jobrunner --help and each command's --help say what they do") {
  Completed top = jobrunner({"--help"});
  CHECK(top.status.exited_with(0));
  std::vector<std::string> commands{"run",    "enqueue", "demo",  "jobs",   "show",  "watch",
                                    "cancel", "retry",   "pause", "resume", "prune", "stats"};
  for (const std::string& command : commands) {
    INFO(command);
    CHECK_THAT(top.out, Catch::Contains("  " + command + " "));
    Completed help = jobrunner({command, "--help"});
    CHECK(help.status.exited_with(0));
    CHECK_THAT(help.out, Catch::Contains("--db"));
  }
  CHECK_THAT(jobrunner({"run", "--help"}).out, Catch::Contains("--http") && Catch::Contains("--log-format"));
}

}  // namespace jobrunner::testing
