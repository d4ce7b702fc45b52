// The durable engine's connections, each with its prepared statements: one per reading thread.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "jobrunner/sqlite_engine.h"

namespace jobrunner {

// A prepared statement borrowed from a Connection's cache, reset when the borrow ends, so that a
// half-read SELECT never keeps a read transaction (and an old snapshot) open on the connection.
class CachedStatement {
 public:
  explicit CachedStatement(SQLite::Statement& s) : s_(&s) {}
  ~CachedStatement() { s_->tryReset(); }
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  SQLite::Statement* operator->() { return s_; }
  SQLite::Statement& operator*() { return *s_; }

 private:
  SQLite::Statement* s_;
};

class Connection {
 public:
  // Opens options.path (creating it when `create`) with busy_timeout and synchronous set.
  Connection(const SqliteOptions& options, bool create);

  SQLite::Database& db() { return db_; }
  // The statement for `sql`, prepared on first use and kept for the connection's life.
  // REQUIRES: no other borrow of the same sql is alive.
  CachedStatement statement(const std::string& sql);

 private:
  SQLite::Database db_;
  std::int64_t busy_timeout_ms_;  // read by the busy handler
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

// Hands each thread its own Connection, opened on the thread's first call. A thread's connection
// is closed when the thread ends or when the pool goes, whichever comes first.
class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  explicit ConnectionPool(SqliteOptions options) : options_(std::move(options)) {}

  // The calling thread's connection. Throws SQLite::Exception when it cannot be opened.
  Connection& get();

 private:
  friend class ThreadConnections;
  void adopt(std::unique_ptr<Connection> c);
  void release(std::thread::id thread);

  const SqliteOptions options_;
  std::mutex mu_;
  std::unordered_map<std::thread::id, std::unique_ptr<Connection>> by_thread_;
};

}  // namespace jobrunner
