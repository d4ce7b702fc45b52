#include "sqlite_errors.h"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string>

namespace jobrunner {

StatusCode status_code_from_sqlite(int result_code) {
  switch (result_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return StatusCode::busy;
    case SQLITE_FULL: return StatusCode::disk_full;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS: return StatusCode::io_error;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return StatusCode::corrupt;
    default: return StatusCode::internal;
  }
}

Status status_from_current_exception(std::string_view what) {
  const std::string prefix = std::string(what) + ": ";
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    const int code = e.getExtendedErrorCode() >= 0 ? e.getExtendedErrorCode() : e.getErrorCode();
    std::string message = prefix + e.what();
    switch (status_code_from_sqlite(code)) {
      case StatusCode::busy:
        message +=
            " (another process held the database lock past busy_timeout; retry, or raise busy_timeout)";
        break;
      case StatusCode::disk_full: message += " (free space on the database's volume)"; break;
      default: break;
    }
    return {status_code_from_sqlite(code), std::move(message)};
  } catch (const nlohmann::json::parse_error& e) {
    return {StatusCode::corrupt, prefix + "stored JSON does not parse: " + e.what()};
  } catch (const nlohmann::json::exception& e) {
    return {StatusCode::corrupt, prefix + "stored JSON has an unexpected shape: " + e.what()};
  } catch (const std::bad_alloc&) {
    return Status::internal(prefix + "out of memory");
  } catch (const std::exception& e) {
    return Status::internal(prefix + e.what());
  } catch (...) {
    return Status::internal(prefix + "unknown exception");
  }
}

}  // namespace jobrunner
