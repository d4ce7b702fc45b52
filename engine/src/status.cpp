#include "jobrunner/status.h"

namespace jobrunner {

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::invalid_argument: return "invalid argument";
    case StatusCode::not_found: return "not found";
    case StatusCode::stale_lease: return "stale lease";
    case StatusCode::conflict: return "conflict";
    case StatusCode::busy: return "busy";
    case StatusCode::disk_full: return "disk full";
    case StatusCode::io_error: return "I/O error";
    case StatusCode::corrupt: return "corrupt";
    case StatusCode::schema_mismatch: return "schema mismatch";
    case StatusCode::internal: return "internal error";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  return std::string(jobrunner::to_string(code_)) + ": " + message_;
}

}  // namespace jobrunner
