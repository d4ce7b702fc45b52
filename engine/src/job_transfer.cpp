#include "job_transfer.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "jobrunner/job.h"
#include "sqlite_errors.h"

namespace jobrunner {

namespace {

enum class Kind { text, integer, json };

struct Column {
  const char* name;
  Kind kind;
  bool required;  // NOT NULL in the schema: an imported line must have it
};

constexpr Column kColumns[] = {
    {"queue", Kind::text, true},
    {"worker", Kind::text, true},
    {"args", Kind::json, true},
    {"state", Kind::text, true},
    {"priority", Kind::integer, true},
    {"attempt", Kind::integer, true},
    {"max_attempts", Kind::integer, true},
    {"inserted_at", Kind::integer, true},
    {"scheduled_at", Kind::integer, true},
    {"attempted_at", Kind::integer, false},
    {"finished_at", Kind::integer, false},
    {"errors", Kind::json, true},
    {"meta", Kind::json, true},
    {"tags", Kind::json, true},
    {"checkpoint", Kind::json, false},
    {"progress_done", Kind::integer, false},
    {"progress_total", Kind::integer, false},
    {"result", Kind::json, false},
    {"unique_key", Kind::text, false},
};

std::string column_list(const char* prefix) {
  std::string out;
  for (const Column& c : kColumns) out += std::string(out.empty() ? "" : ", ") + prefix + c.name;
  return out;
}

json column_value(const SQLite::Column& v, Kind kind) {
  if (v.isNull()) return nullptr;
  switch (kind) {
    case Kind::text: return v.getString();
    case Kind::integer: return v.getInt64();
    case Kind::json: return json::parse(v.getString());
  }
  return nullptr;
}

// Binds the line's value for column c, or says what is wrong with it.
Status bind_value(SQLite::Statement& insert, const Column& c, const json& job) {
  const std::string param = std::string(":") + c.name;
  const auto found = job.find(c.name);
  if (found == job.end() || found->is_null()) {
    if (c.required) return Status::invalid(std::string("\"") + c.name + "\" is missing");
    insert.bind(param);
    return Status::ok();
  }
  switch (c.kind) {
    case Kind::text:
      if (!found->is_string()) return Status::invalid(std::string("\"") + c.name + "\" must be a string");
      insert.bind(param, found->get<std::string>());
      break;
    case Kind::integer:
      if (!found->is_number_integer()) {
        return Status::invalid(std::string("\"") + c.name + "\" must be an integer");
      }
      insert.bind(param, found->get<std::int64_t>());
      break;
    case Kind::json: insert.bind(param, found->dump()); break;
  }
  return Status::ok();
}

}  // namespace

Result<std::int64_t> export_job_lines(SQLite::Database& db, std::ostream& out) {
  try {
    SQLite::Statement q(db, "SELECT id, " + column_list("") + " FROM jobs ORDER BY id");
    std::int64_t count = 0;
    while (q.executeStep()) {
      json job = {{"id", q.getColumn(0).getInt64()}};
      int i = 1;
      for (const Column& c : kColumns) job[c.name] = column_value(q.getColumn(i++), c.kind);
      out << job.dump() << '\n';
      ++count;
    }
    out.flush();
    if (!out) return Status{StatusCode::io_error, "writing the exported jobs failed"};
    return count;
  } catch (...) {
    return status_from_current_exception("exporting jobs");
  }
}

Result<std::int64_t> import_job_lines(SQLite::Database& db, std::istream& in) {
  std::int64_t line_number = 0;
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement insert(db,
                             "INSERT INTO jobs (" + column_list("") + ") VALUES (" + column_list(":") + ")");
    std::int64_t count = 0;
    std::string line;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json job = json::parse(line);
      if (!job.is_object())
        return Status::invalid("line " + std::to_string(line_number) + ": not a JSON object");
      // The lease stayed with the database the job left: here it is a job to run again.
      if (auto state = job.find("state"); state != job.end() && *state == "executing") {
        *state = "available";
      }
      insert.reset();
      insert.clearBindings();
      for (const Column& c : kColumns) {
        if (Status s = bind_value(insert, c, job); !s.is_ok()) {
          return Status::invalid("line " + std::to_string(line_number) + ": " + s.message());
        }
      }
      insert.exec();
      ++count;
    }
    tx.commit();
    return count;
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid("line " + std::to_string(line_number) + ": not valid JSON: " + e.what());
  } catch (const SQLite::Exception& e) {
    // A value the schema refuses (a state that does not exist, a priority of 12) is the input's fault.
    if ((e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT) {
      return Status::invalid("line " + std::to_string(line_number) + ": " + e.what());
    }
    return status_from_current_exception("importing line " + std::to_string(line_number));
  } catch (...) {
    return status_from_current_exception("importing line " + std::to_string(line_number));
  }
}

}  // namespace jobrunner
