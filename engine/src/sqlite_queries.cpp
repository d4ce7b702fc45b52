#include "sqlite_queries.h"

#include <array>

namespace jobrunner::sql {

const std::string& insert_jobs(std::size_t rows) {
  static const std::array<std::string, kRowsPerInsert + 1> queries = [] {
    std::array<std::string, kRowsPerInsert + 1> q;
    for (std::size_t n = 1; n <= kRowsPerInsert; ++n) {
      q[n] =
          "INSERT INTO jobs (queue, worker, args, state, priority, max_attempts, inserted_at, scheduled_at, "
          "meta, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      for (std::size_t i = 1; i < n; ++i) q[n] += ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    }
    return q;
  }();
  return queries.at(rows);
}

}  // namespace jobrunner::sql
