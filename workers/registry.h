// Every worker this project ships, registered by name.
#pragma once

#include <memory>

#include "jobrunner/worker.h"

namespace jobrunner::workers {

// A registry with TestJob and the other example workers.
std::shared_ptr<WorkerRegistry> builtin_registry();

}  // namespace jobrunner::workers
