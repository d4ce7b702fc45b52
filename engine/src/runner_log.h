// The runner's log lines, written from its telemetry events.
#pragma once

#include <memory>

#include "jobrunner/telemetry.h"

namespace spdlog {
class logger;
}

namespace jobrunner::detail {

Telemetry::Handler make_log_handler(std::shared_ptr<spdlog::logger> logger);

// "1.25 s", "340 ms", "2 min 5 s": durations as people read them in logs.
std::string human_duration(Millis d);

}  // namespace jobrunner::detail
