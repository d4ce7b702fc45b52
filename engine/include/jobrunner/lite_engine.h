// LiteEngine: the Engine kept in memory, with no database at all. Everything is gone when the
// process ends; within a process it behaves exactly as the durable engine does, so a Runner
// stopped and started again over the same LiteEngine resumes interrupted jobs from their checkpoints.
#pragma once

#include <memory>

#include "jobrunner/engine.h"

namespace jobrunner {

std::shared_ptr<Engine> make_lite_engine();

}  // namespace jobrunner
