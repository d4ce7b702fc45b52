// Turns the exceptions SQLiteCpp and nlohmann_json throw into the Status the engine seam returns.
#pragma once

#include <exception>
#include <string_view>

#include "jobrunner/status.h"

namespace jobrunner {

// The Status for the exception being handled (call only inside a catch block). `what` names the
// operation that failed, as in "claiming jobs from queue default".
Status status_from_current_exception(std::string_view what);

// The StatusCode for a SQLite result code (primary or extended).
StatusCode status_code_from_sqlite(int result_code);

}  // namespace jobrunner
