// Job args as they reach an engine: text read as JSON the way `jobrunner enqueue --args` reads it,
// and any bytes a program puts in a string of its args. Either the job is refused with a clear error
// and nothing is stored, or both engines store it and give the same args back.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "fuzz_check.h"
#include "jobrunner/lite_engine.h"
#include "jobrunner/sqlite_engine.h"

using namespace jobrunner;
using jobrunner::fuzz::check;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

const std::string kDbPath = "/tmp/jobrunner-fuzz-" + std::to_string(getpid()) + ".db";

void remove_database() {
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((kDbPath + suffix).c_str());
}

// One durable engine for the whole run, on a file of its own that is removed at exit; each input's
// job is removed again.
Engine& durable() {
  static std::shared_ptr<Engine> engine = [] {
    remove_database();
    std::atexit(remove_database);
    SqliteOptions o;
    o.path = kDbPath;
    auto opened = open_sqlite_engine(o);
    check(opened.is_ok(), "the durable engine opens", opened.status().to_string());
    return *opened;
  }();
  return *engine;
}

std::int64_t stored(Engine& engine) {
  auto counts = engine.job_count({});
  check(counts.is_ok(), "jobs can be counted", counts.status().to_string());
  std::int64_t n = 0;
  for (const StateCount& c : *counts) n += c.count;
  return n;
}

// Inserts `job` into `engine`; checks it reads back with the same args, then removes it again.
void check_stored(Engine& engine, const NewJob& job, std::string_view input) {
  auto inserted = engine.job_insert_many(std::span(&job, 1), kNow);
  check(inserted.is_ok(), "a job that validates is stored", inserted.status().to_string());
  const JobId id = inserted->front().job.id;
  auto got = engine.job_get(id);
  check(got.is_ok(), "a stored job can be read", input);
  check(got->args == job.args, "a job's args read back as they were given", input);
  check(engine.job_cancel(id, kNow).is_ok(), "a waiting job can be cancelled", input);
  check(engine.job_prune({kNow + 1, 10}).is_ok(), "a cancelled job can be pruned", input);
}

void check_refused(Engine& engine, const NewJob& job, std::string_view input) {
  const std::int64_t before = stored(engine);
  auto inserted = engine.job_insert_many(std::span(&job, 1), kNow);
  check(!inserted.is_ok() && inserted.status().code() == StatusCode::invalid_argument,
        "a job that does not validate is refused as invalid", input);
  check(stored(engine) == before, "a refused job stores nothing", input);
}

void check_job(const json& args, std::string_view input) {
  NewJob job;
  job.worker = "fuzz";
  job.queue = "default";
  job.max_attempts = 1;
  job.args = args;
  const Status valid = validate(job);
  auto lite = make_lite_engine();
  if (valid.is_ok()) {
    // Whatever is accepted must also be storable as JSON text, byte for byte.
    check(json::parse(args.dump()) == args, "valid args print as JSON that reads back to them", input);
    check_stored(*lite, job, input);
    check_stored(durable(), job, input);
  } else {
    check(!valid.message().empty(), "a refusal says why", input);
    check_refused(*lite, job, input);
    check_refused(durable(), job, input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // As `jobrunner enqueue --args TEXT` reads it: text that is not a JSON object is a usage error
  // before any engine sees it.
  json parsed;
  try {
    parsed = json::parse(text);
  } catch (const json::exception&) {
    parsed = json();
  }
  if (parsed.is_object()) check_job(parsed, text);
  // A program may put any bytes in its args.
  check_job(json{{"text", text}}, text);
  return 0;
}
