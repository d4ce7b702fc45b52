// Status and Result: errors as values at the engine seam.
//
// Every engine call returns a Status (or a Result<T>, which holds either a T or a non-ok Status).
// Exceptions from libraries (SQLiteCpp, nlohmann_json) are caught where they arise and turned into
// a Status whose message says what happened and, where there is one, what to do about it.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace jobrunner {

enum class StatusCode {
  ok,
  invalid_argument,  // the caller's input is wrong; nothing was changed
  not_found,         // no such job (or queue, or runner)
  stale_lease,       // a write on behalf of a job that no longer holds its lease; nothing was changed
  conflict,          // the job is not in a state that allows the operation
  busy,              // the database stayed locked past busy_timeout
  disk_full,         // the database could not grow
  io_error,          // the operating system failed a read, write or sync
  corrupt,           // the file is not a jobrunner database or is damaged
  schema_mismatch,   // the schema is older or newer than this build understands
  internal,          // a bug: please report it
};

std::string_view to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An ok status.
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalid(std::string message) { return {StatusCode::invalid_argument, std::move(message)}; }
  static Status not_found(std::string message) { return {StatusCode::not_found, std::move(message)}; }
  static Status stale(std::string message) { return {StatusCode::stale_lease, std::move(message)}; }
  static Status conflict(std::string message) { return {StatusCode::conflict, std::move(message)}; }
  static Status internal(std::string message) { return {StatusCode::internal, std::move(message)}; }

  bool is_ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ok", or "<code>: <message>".
  std::string to_string() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

// Either a value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // REQUIRES: !status.is_ok()
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  // The error; an ok Status when this holds a value.
  Status status() const { return is_ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: is_ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace jobrunner
