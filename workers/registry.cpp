#include "workers/registry.h"

#include "workers/test_job.h"

namespace jobrunner::workers {

std::shared_ptr<WorkerRegistry> builtin_registry() {
  auto registry = std::make_shared<WorkerRegistry>();
  registry->add(kTestJob, std::make_shared<TestJob>());
  return registry;
}

}  // namespace jobrunner::workers
