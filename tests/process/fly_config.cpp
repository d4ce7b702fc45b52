// fly.toml and the Dockerfile, read as Fly and Docker would read them (neither can run here): the
// keys the deployment depends on, and their agreement with the daemon's flags.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jobrunner/time_text.h"
#include "process/process_jobrunner.h"

namespace jobrunner::testing {

namespace {

const std::filesystem::path kRepo = JOBRUNNER_SOURCE_DIR;

json read_fly_toml() {
  Completed r =
      run_process({"/usr/bin/env", "python3", "-c",
                   "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
                   (kRepo / "fly.toml").string()});
  INFO(r.err);
  REQUIRE(r.status.exited_with(0));
  return json::parse(r.out);
}

// The value after `flag` in a space-separated command line; empty when absent.
std::string flag_value(const std::string& command, const std::string& flag) {
  std::istringstream words(command);
  for (std::string word; words >> word;) {
    if (word == flag && words >> word) return word;
  }
  return {};
}

}  // namespace

TEST_CASE("fly.toml parses as TOML and has the keys the deployment needs") {
  json fly = read_fly_toml();
  CHECK(fly["app"] == "jobrunner");
  CHECK(fly["kill_signal"] == "SIGTERM");
  REQUIRE(fly["kill_timeout"].is_number_integer());
  int kill_timeout = fly["kill_timeout"];
  CHECK(kill_timeout <= 300);  // Fly's maximum
  CHECK(fly["env"]["JOBRUNNER_DB"] == "/data/jobrunner.db");
  CHECK(fly["mounts"]["destination"] == "/data");
  CHECK_FALSE(fly["mounts"]["source"].get<std::string>().empty());
  CHECK(fly["http_service"]["auto_stop_machines"] == "off");
  bool healthz = false;
  for (const json& check : fly["http_service"]["checks"]) healthz = healthz || check["path"] == "/healthz";
  CHECK(healthz);
  CHECK_FALSE(fly["processes"].contains("grace_period"));  // Fly has no such key

  std::string command = fly["processes"]["app"];
  CHECK_THAT(command, Catch::StartsWith("run ") && Catch::Contains("--migrate"));
  auto grace = parse_duration(flag_value(command, "--grace"));
  REQUIRE(grace.is_ok());
  CHECK(grace->count() < kill_timeout * 1000);
  CHECK(grace->count() >= (kill_timeout - 30) * 1000);  // a little shorter, not much
  std::string http = flag_value(command, "--http");
  CHECK(http.ends_with(":" + std::to_string(fly["http_service"]["internal_port"].get<int>())));
}

TEST_CASE("the Dockerfile builds on bookworm, runs on bookworm-slim, and starts jobrunner in exec form") {
  std::ifstream in(kRepo / "Dockerfile");
  REQUIRE(in);
  std::vector<std::string> from;
  std::string entrypoint;
  std::string cmd;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("FROM ")) from.push_back(line);
    if (line.starts_with("ENTRYPOINT ")) entrypoint = line.substr(11);
    if (line.starts_with("CMD ")) cmd = line.substr(4);
  }
  REQUIRE(from.size() == 2);
  CHECK_THAT(from[0], Catch::StartsWith("FROM debian:bookworm AS "));
  CHECK(from[1] == "FROM debian:bookworm-slim");
  // Exec form (a JSON array) makes jobrunner itself receive the stop signal, not a shell.
  REQUIRE(json::accept(entrypoint));
  CHECK(json::parse(entrypoint) == json{"/usr/local/bin/jobrunner"});
  REQUIRE(json::accept(cmd));
  std::string joined;
  for (const json& word : json::parse(cmd)) joined += word.get<std::string>() + " ";
  CHECK(joined == read_fly_toml()["processes"]["app"].get<std::string>() + " ");
}

}  // namespace jobrunner::testing
