// The durable engine behind open_sqlite_engine(), made once the database is known to be usable.
#pragma once

#include <memory>

#include "jobrunner/engine.h"
#include "sqlite_connection.h"

namespace jobrunner {

// An engine over `pool` (whose connections reach a database at the latest schema), reading
// data_version() on `watch`, a connection of its own that never writes.
std::shared_ptr<Engine> make_sqlite_engine(std::shared_ptr<ConnectionPool> pool,
                                           std::unique_ptr<Connection> watch);

}  // namespace jobrunner
