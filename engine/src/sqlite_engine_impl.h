// The durable engine behind open_sqlite_engine(), made once the database is known to be usable.
#pragma once

#include <memory>

#include "jobrunner/engine.h"
#include "sqlite_connection.h"

namespace jobrunner {

// An engine over a database at the latest schema: every write on `writer` (its WAL checkpointed
// on a thread of the engine's), reads on the calling thread's connection from `readers`,
// data_version() on `watch`, a connection that never writes.
std::shared_ptr<Engine> make_sqlite_engine(const SqliteOptions& options, std::shared_ptr<ConnectionPool> readers,
                                           std::unique_ptr<Connection> writer,
                                           std::unique_ptr<Connection> watch);

}  // namespace jobrunner
