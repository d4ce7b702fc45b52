// The schema migrations in migrations/, compiled into the binary by migrations/CMakeLists.txt.
#pragma once

#include <span>
#include <string_view>

namespace jobrunner {

struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view up_sql;
  std::string_view down_sql;
  std::string_view checksum;  // SHA-256 of the .up.sql file, hex
  bool drops_data = false;    // its down_sql destroys rows (first line `-- jobrunner: drops-data`)
};

// Every migration, by version: 1, 2, 3 ... with no gaps.
std::span<const Migration> embedded_migrations();

}  // namespace jobrunner
