#include "sqlite_job_row.h"

#include <stdexcept>

namespace jobrunner {

namespace {

std::optional<std::int64_t> optional_int(SQLite::Statement& row, int column) {
  auto c = row.getColumn(column);
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

json json_column(SQLite::Statement& row, int column) {
  auto c = row.getColumn(column);
  if (c.isNull()) return nullptr;
  return json::parse(c.getString());
}

JobState state_column(SQLite::Statement& row, int column) {
  auto state = parse_job_state(row.getColumn(column).getString());
  // The table's CHECK constraint admits only the names parse_job_state knows.
  if (!state.is_ok()) throw std::logic_error("jobs.state holds " + row.getColumn(column).getString());
  return *state;
}

}  // namespace

Job read_job(SQLite::Statement& row) {
  Job job;
  job.id = row.getColumn(0).getInt64();
  job.queue = row.getColumn(1).getString();
  job.worker = row.getColumn(2).getString();
  job.args = json_column(row, 3);
  job.state = state_column(row, 4);
  job.priority = row.getColumn(5).getInt();
  job.attempt = row.getColumn(6).getInt();
  job.max_attempts = row.getColumn(7).getInt();
  job.inserted_at = row.getColumn(8).getInt64();
  job.scheduled_at = row.getColumn(9).getInt64();
  job.attempted_at = optional_int(row, 10);
  job.finished_at = optional_int(row, 11);
  for (const json& e : json_column(row, 12)) {
    job.errors.push_back(
        {e.at("attempt").get<int>(), e.at("at").get<Timestamp>(), e.at("message").get<std::string>()});
  }
  job.meta = json_column(row, 13);
  job.tags = json_column(row, 14).get<std::vector<std::string>>();
  job.checkpoint = json_column(row, 15);
  auto done = optional_int(row, 16);
  auto total = optional_int(row, 17);
  if (done || total) job.progress = Progress{done.value_or(0), total.value_or(0)};
  job.result = json_column(row, 18);
  if (auto key = row.getColumn(19); !key.isNull()) job.unique_key = key.getString();
  if (auto token = optional_int(row, 21)) {
    job.lease = Lease{row.getColumn(20).getString(), *token, optional_int(row, 22).value_or(0)};
  }
  return job;
}

std::string json_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void bind_nullable_json(SQLite::Statement& s, const char* name, const json& j) {
  if (j.is_null()) {
    s.bind(name);
  } else {
    s.bind(name, json_text(j));
  }
}

}  // namespace jobrunner
