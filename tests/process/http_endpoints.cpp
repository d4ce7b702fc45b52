// `jobrunner run --http`: /healthz through a daemon's life, and /metrics against known work.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <regex>
#include <sstream>

#include "process/process_jobrunner.h"
#include "support/temp_dir.h"

namespace jobrunner::testing {

namespace {

// The port the daemon logged it listens on (it was started with port 0: any free port).
int listening_port(Process& daemon) {
  REQUIRE(daemon.wait_for_stdout("HTTP listening on 127.0.0.1:", 5s));
  std::smatch m;
  std::string out = daemon.out();
  REQUIRE(std::regex_search(out, m, std::regex("HTTP listening on 127\\.0\\.0\\.1:(\\d+)")));
  return std::stoi(m[1]);
}

// Parses the Prometheus text format: every sample line `name{labels} value`, by "name{labels}".
// Fails the test on a line that is neither a sample nor a # HELP / # TYPE comment.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_]+="[^"]*"(,[a-zA-Z_]+="[^"]*")*\})?) (\S+)$)");
  static const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, comment)) continue;
    REQUIRE(std::regex_match(line, m, sample));
    samples[m[1]] = m[4] == "+Inf" ? INFINITY : std::stod(m[4]);
  }
  return samples;
}

}  // namespace

TEST_CASE(
    "/healthz answers 200 ok while the daemon runs and 503 while it drains, and no endpoint changes state") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  Daemon daemon(db, {"--http", "127.0.0.1:0", "--grace", "30s"});
  httplib::Client client("127.0.0.1", listening_port(daemon.process()));
  auto ok = client.Get("/healthz");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "ok\n");
  CHECK(client.Post("/healthz")->status == 404);
  CHECK(client.Post("/metrics")->status == 404);

  // A long chunk keeps the daemon draining long enough to ask.
  auto engine = open_database(db);
  JobId id = enqueue_test_job(db, {{"duration_ms", 4'000}, {"chunk_ms", 2'000}});
  REQUIRE(eventually([&] { return job_in(*engine, id).state == JobState::executing; }, 5s));
  daemon.process().signal(SIGTERM);
  REQUIRE(eventually([&] { return client.Get("/healthz")->status == 503; }, 2s));
  CHECK(client.Get("/healthz")->body == "draining\n");
  CHECK(parse_prometheus(client.Get("/metrics")->body)["jobrunner_draining"] == 1);
  CHECK(daemon.process().wait_for_exit(30s).value_or(ExitStatus{}).exited_with(0));
}

TEST_CASE("/metrics is Prometheus text whose values match the work done") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  const int jobs = 4;
  const int chunks = 3;
  for (int i = 0; i < jobs; ++i) enqueue_test_job(db, {{"duration_ms", 150}, {"chunk_ms", 50}});
  jobrunner_json({"enqueue", "TestJob", "--db", db, "--queue", "mail", "--json"});  // mail is not served
  Daemon daemon(db, {"--http", "127.0.0.1:0"});
  httplib::Client client("127.0.0.1", listening_port(daemon.process()));
  auto engine = open_database(db);
  REQUIRE(eventually(
      [&] {
        auto counts = engine->job_count({});
        return counts.is_ok() && counts->size() == 2 && (*counts)[0].state == JobState::completed;
      },
      10s));

  auto response = client.Get("/metrics");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK_THAT(response->get_header_value("Content-Type"), Catch::StartsWith("text/plain; version=0.0.4"));
  std::map<std::string, double> m = parse_prometheus(response->body);
  CHECK(m[R"(jobrunner_jobs{queue="default",state="completed"})"] == jobs);
  CHECK(m[R"(jobrunner_jobs{queue="default",state="available"})"] == 0);
  CHECK(m[R"(jobrunner_jobs{queue="mail",state="available"})"] == 1);
  CHECK(m["jobrunner_executing"] == 0);
  CHECK(m["jobrunner_draining"] == 0);
  CHECK(m["jobrunner_jobs_completed_total"] == jobs);
  CHECK(m["jobrunner_jobs_errored_total"] == 0);
  CHECK(m["jobrunner_jobs_interrupted_total"] == 0);
  CHECK(m["jobrunner_jobs_rescued_total"] == 0);
  CHECK(m["jobrunner_checkpoints_saved_total"] == jobs * chunks);
  CHECK(m["jobrunner_claim_to_start_seconds_count"] == jobs);
  CHECK(m[R"(jobrunner_claim_to_start_seconds_bucket{le="+Inf"})"] == jobs);
  CHECK(m[R"(jobrunner_claim_to_start_seconds_bucket{le="2.5"})"] == jobs);
  CHECK(m["jobrunner_claim_to_start_seconds_sum"] >= 0);
  CHECK(daemon.stop(SIGTERM, 10s).value_or(ExitStatus{}).exited_with(0));
}

TEST_CASE("json logs write one JSON object per line, with the job's fields on lines about a job") {
  TempDir dir;
  std::string db = dir.file("jobs.db");
  JobId id = enqueue_test_job(db, {{"duration_ms", 300}, {"chunk_ms", 100}});
  Daemon daemon(db, {"--log-format", "json"});
  REQUIRE(daemon.process().wait_for_stdout("completed in", 10s));
  REQUIRE(daemon.stop(SIGTERM, 10s).value_or(ExitStatus{}).exited_with(0));

  std::istringstream lines(daemon.process().out());
  int about_job = 0;
  std::set<std::int64_t> chunks;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    json entry = json::parse(line);
    CHECK(entry["ts"].get<std::string>().ends_with("Z"));
    CHECK(entry.contains("level"));
    CHECK(entry.contains("msg"));
    std::string msg = entry["msg"];
    if (msg.find("TestJob") == std::string::npos) continue;
    ++about_job;
    CHECK(entry["job_id"] == id);
    CHECK(entry["worker"] == "TestJob");
    CHECK(entry["queue"] == "default");
    CHECK(entry["attempt"] == 1);
    if (msg.starts_with("[TestJob] Processing chunk ") && entry.contains("chunk")) {
      CHECK(msg.substr(27, 1) == std::to_string(entry["chunk"].get<int>()));
      chunks.insert(entry["chunk"].get<std::int64_t>());
    }
  }
  CHECK(about_job >= 5);                          // started, its chunks, completed
  CHECK(chunks == std::set<std::int64_t>{2, 3});  // the first chunk runs before any progress is known
}

}  // namespace jobrunner::testing
