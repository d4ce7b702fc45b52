// Uses the installed package the way a program would: a worker of its own, a Runner over the durable
// engine (whose schema comes from the migrations compiled into the library), and the testing helpers.
#include <jobrunner/runner.h>
#include <jobrunner/sqlite_engine.h>
#include <jobrunner/testing.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>

using namespace jobrunner;

class Double final : public Worker {
 public:
  Outcome perform(JobContext& ctx) const override {
    return Outcome::ok({{"twice", 2 * ctx.args().value("n", 0)}});
  }
};

int fail(const std::string& what) {
  std::fprintf(stderr, "consumer: %s\n", what.c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: consumer DB_PATH");
  testing::Performed inline_run = testing::perform_job<Double>({{"n", 4}});
  if (inline_run.job.result != json{{"twice", 8}})
    return fail("perform_job: " + inline_run.job.result.dump());

  SqliteOptions options;
  options.path = argv[1];
  auto engine = open_sqlite_engine(options);
  if (!engine.is_ok()) return fail(engine.status().to_string());
  auto workers = std::make_shared<WorkerRegistry>();
  workers->add("Double", std::make_shared<Double>());
  Runner runner(*engine, workers);

  std::mutex mu;
  std::condition_variable cv;
  bool ended = false;
  runner.telemetry().subscribe([&](const Event& e) {
    if (e.kind != EventKind::job_stop) return;
    std::lock_guard lock(mu);
    ended = true;
    cv.notify_all();
  });
  if (Status s = runner.start(); !s.is_ok()) return fail(s.to_string());
  NewJob job;
  job.worker = "Double";
  job.args = {{"n", 21}};
  auto inserted = runner.insert(job);
  if (!inserted.is_ok()) return fail(inserted.status().to_string());
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return ended; })) return fail("no job ran");
  }
  runner.stop();
  auto done = (*engine)->job_get(inserted->job.id);
  if (!done.is_ok() || done->state != JobState::completed || done->result != json{{"twice", 42}}) {
    return fail("the job did not complete with its result");
  }
  std::printf("consumer: ok\n");
  return 0;
}
