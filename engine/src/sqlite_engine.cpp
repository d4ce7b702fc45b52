#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <random>
#include <tuple>
#include <type_traits>

#include "sqlite_checkpointer.h"
#include "sqlite_connection.h"
#include "sqlite_engine_impl.h"
#include "sqlite_errors.h"
#include "sqlite_job_row.h"
#include "sqlite_queries.h"

namespace jobrunner {

namespace {

LeaseToken new_lease_token() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  LeaseToken token = 0;
  // Zero is what an unset JobFinishParams carries; never hand it out.
  while (token == 0) token = static_cast<LeaseToken>(rng() >> 1);
  return token;
}

std::string error_entry(Timestamp at, const std::string& message) {
  return json_text(json{{"at", at}, {"message", message}});
}

json state_names(std::span<const JobState> states) {
  json names = json::array();
  for (JobState s : states) names.push_back(std::string(to_string(s)));
  return names;
}

std::vector<Job> read_jobs(CachedStatement& q) {
  std::vector<Job> jobs;
  while (q->executeStep()) jobs.push_back(read_job(*q));
  return jobs;
}

std::string filter_where(const JobFilter& f) {
  std::vector<std::string> terms;
  if (!f.states.empty()) terms.emplace_back("state IN (SELECT value FROM json_each(:states))");
  if (!f.queue.empty()) terms.emplace_back("queue = :queue");
  if (!f.worker.empty()) terms.emplace_back("worker = :worker");
  std::string where;
  for (const std::string& t : terms) where += (where.empty() ? " WHERE " : " AND ") + t;
  return where;
}

void bind_filter(SQLite::Statement& q, const JobFilter& f) {
  if (!f.states.empty()) q.bind(":states", json_text(state_names(f.states)));
  if (!f.queue.empty()) q.bind(":queue", f.queue);
  if (!f.worker.empty()) q.bind(":worker", f.worker);
}

std::string job_name(JobId id) { return "job " + std::to_string(id); }

// What a worker's in_transaction receives: the connection, inside the checkpoint's transaction.
class SqliteTransaction final : public Transaction {
 public:
  explicit SqliteTransaction(SQLite::Database& db) : db_(db) {}
  SQLite::Database* sqlite() override { return &db_; }

 private:
  SQLite::Database& db_;
};

class SqliteEngine final : public Engine {
 public:
  SqliteEngine(const SqliteOptions& options, std::shared_ptr<ConnectionPool> readers,
               std::unique_ptr<Connection> writer, std::unique_ptr<Connection> watch)
      : readers_(std::move(readers)),
        writer_(std::move(writer)),
        checkpointer_(options, writer_->db()),
        watch_(std::move(watch)) {}

  std::string_view name() const override { return "durable"; }
  bool commits_to_storage() const override { return true; }

  Result<InsertResult> job_insert(const NewJob& job, Timestamp now) override {
    if (Status s = validate(job); !s.is_ok()) return s;
    const NewRow row = new_row(job, now);
    return write("inserting a job",
                 [&](Connection& c) -> Result<InsertResult> { return insert_one(c, job, row, now); });
  }

  Result<std::vector<InsertResult>> job_insert_many(std::span<const NewJob> jobs, Timestamp now) override {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (Status s = validate(jobs[i]); !s.is_ok()) {
        return Status::invalid("job " + std::to_string(i + 1) + " of " + std::to_string(jobs.size()) + ": " +
                               s.message());
      }
    }
    // The JSON is written out before the write lock is taken, so that the lock is held for SQLite's
    // work alone.
    std::vector<NewRow> rows;
    rows.reserve(jobs.size());
    for (const NewJob& job : jobs) rows.push_back(new_row(job, now));
    return write("inserting jobs", [&](Connection& c) -> Result<std::vector<InsertResult>> {
      std::vector<InsertResult> out;
      out.reserve(jobs.size());
      // Jobs without a unique key go in by multi-row INSERTs; a unique job is looked up and
      // inserted on its own, after the jobs before it, so that it sees them and ids follow the
      // order given.
      std::size_t pending = 0;
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (!jobs[i].unique) continue;
        insert_rows(c, jobs, rows, pending, i, now, out);
        out.push_back(insert_one(c, jobs[i], rows[i], now));
        pending = i + 1;
      }
      insert_rows(c, jobs, rows, pending, jobs.size(), now, out);
      return out;
    });
  }

  Result<std::vector<Job>> job_claim(const JobClaimParams& p) override {
    if (p.limit <= 0) return std::vector<Job>{};
    return write("claiming jobs from queue " + p.queue,
                 [&](Connection& c) -> Result<std::vector<Job>> { return claim(c, p); });
  }

  std::vector<Status> job_finish(std::span<const JobFinishParams> items) override {
    auto done = write("finishing jobs", [&](Connection& c) -> Result<std::vector<Status>> {
      std::vector<Status> out;
      out.reserve(items.size());
      for (const JobFinishParams& item : items) out.push_back(finish_one(c, item));
      return out;
    });
    if (!done.is_ok()) return std::vector<Status>(items.size(), done.status());
    return std::move(done).value();
  }

  FinishClaimResult job_finish_and_claim(std::span<const JobFinishParams> finishes,
                                         std::span<const JobClaimParams> claims) override {
    auto done = write("finishing and claiming jobs", [&](Connection& c) -> Result<FinishClaimResult> {
      FinishClaimResult out;
      out.finished.reserve(finishes.size());
      for (const JobFinishParams& item : finishes) out.finished.push_back(finish_one(c, item));
      for (const JobClaimParams& p : claims) out.claimed.push_back(claim(c, p));
      return out;
    });
    if (done.is_ok()) return std::move(done).value();
    const Result<std::vector<Job>> unclaimed(done.status());
    return {std::vector<Status>(finishes.size(), done.status()),
            std::vector<Result<std::vector<Job>>>(claims.size(), unclaimed)};
  }

  Status job_checkpoint(const JobCheckpointParams& p) override {
    return write("saving the checkpoint of " + job_name(p.id), [&](Connection& c) {
      {
        auto q = c.statement(sql::kCheckpoint);
        bind_nullable_json(*q, ":checkpoint", p.checkpoint);
        if (p.progress) {
          q->bind(":done", p.progress->done);
          q->bind(":total", p.progress->total);
        }
        q->bind(":id", p.id);
        q->bind(":token", p.token);
        if (q->exec() == 0) return stale(p.id, p.token);
      }
      if (p.in_transaction) {
        SqliteTransaction tx(c.db());
        try {
          p.in_transaction(tx);
        } catch (const SQLite::Exception&) {
          return status_from_current_exception("checkpoint of " + job_name(p.id) + " not saved");
        } catch (const std::exception& e) {
          return Status::invalid("checkpoint of " + job_name(p.id) + " not saved: " + e.what());
        } catch (...) {
          return Status::invalid("checkpoint of " + job_name(p.id) + " not saved: unknown exception");
        }
      }
      return Status::ok();
    });
  }

  Result<std::vector<JobId>> job_lease_renew(const JobLeaseRenewParams& p) override {
    return write("renewing leases", [&](Connection& c) -> Result<std::vector<JobId>> {
      std::vector<JobId> lost;
      for (const auto& [id, token] : p.jobs) {
        auto q = c.statement(sql::kRenew);
        q->bind(":expires", p.expires_at);
        q->bind(":id", id);
        q->bind(":token", token);
        q->bind(":owner", p.owner);
        if (q->exec() == 0) lost.push_back(id);
      }
      return lost;
    });
  }

  Result<std::int64_t> job_stage(Timestamp now) override {
    return write("staging scheduled jobs", [&](Connection& c) -> Result<std::int64_t> {
      auto q = c.statement(sql::kStage);
      q->bind(":now", now);
      return q->exec();
    });
  }

  Result<RescueCounts> job_rescue(const JobRescueParams& p) override {
    return write("rescuing orphaned jobs",
                 [&](Connection& c) -> Result<RescueCounts> { return rescue(c, p); });
  }

  Result<std::int64_t> job_prune(const JobPruneParams& p) override {
    return write("pruning finished jobs", [&](Connection& c) -> Result<std::int64_t> {
      auto q = c.statement(sql::kPrune);
      q->bind(":before", p.finished_before);
      q->bind(":limit", p.limit);
      return q->exec();
    });
  }

  Result<Job> job_cancel(JobId id, Timestamp now) override {
    return change_job("cancelling ", id, now, sql::kCancel, [&](const Job& current) {
      if (!is_final(current.state)) return Status::ok();
      return Status::conflict(job_name(id) + " is already " + std::string(to_string(current.state)));
    });
  }

  Result<Job> job_retry(JobId id, Timestamp now) override {
    return change_job("retrying ", id, now, sql::kRetry, [&](const Job& current) {
      if (current.state != JobState::available && current.state != JobState::executing) return Status::ok();
      return Status::conflict(job_name(id) + " is " + std::string(to_string(current.state)) +
                              ": only a job that is not available or executing can be retried");
    });
  }

  Result<Job> job_get(JobId id) override {
    return read("reading " + job_name(id), [&](Connection& c) -> Result<Job> {
      auto job = find(c, id);
      if (!job) return Status::not_found(job_name(id) + " does not exist");
      return std::move(*job);
    });
  }

  Result<std::vector<Job>> job_list(const JobFilter& f) override {
    // SQLite reads a negative LIMIT as no limit at all.
    if (f.limit <= 0) return std::vector<Job>{};
    return read("listing jobs", [&](Connection& c) -> Result<std::vector<Job>> {
      auto q = c.statement("SELECT " + kJobColumns + " FROM jobs" + filter_where(f) + " ORDER BY id " +
                           (f.newest_first ? "DESC" : "ASC") + " LIMIT :limit");
      bind_filter(*q, f);
      q->bind(":limit", f.limit);
      return read_jobs(q);
    });
  }

  Result<std::vector<StateCount>> job_count(const JobFilter& f) override {
    return read("counting jobs", [&](Connection& c) -> Result<std::vector<StateCount>> {
      // job_counts is kept by triggers (migration 0003): a few rows, however many jobs there are.
      auto q = c.statement("SELECT queue, state, sum(n) FROM job_counts" + filter_where(f) +
                           " GROUP BY queue, state HAVING sum(n) > 0");
      bind_filter(*q, f);
      std::vector<StateCount> counts;
      while (q->executeStep()) {
        auto state = parse_job_state(q->getColumn(1).getString());
        if (!state.is_ok()) return state.status();
        counts.push_back({q->getColumn(0).getString(), *state, q->getColumn(2).getInt64()});
      }
      std::sort(counts.begin(), counts.end(), [](const StateCount& a, const StateCount& b) {
        return std::tie(a.queue, a.state) < std::tie(b.queue, b.state);
      });
      return counts;
    });
  }

  Status queue_pause(const std::string& queue, Timestamp now) override { return queue_set(queue, true, now); }
  Status queue_resume(const std::string& queue, Timestamp now) override {
    return queue_set(queue, false, now);
  }

  Result<std::vector<QueueInfo>> queue_list() override {
    return read("listing queues", [&](Connection& c) -> Result<std::vector<QueueInfo>> {
      auto q = c.statement(sql::kQueueList);
      std::vector<QueueInfo> queues;
      while (q->executeStep()) queues.push_back({q->getColumn(0).getString(), q->getColumn(1).getInt() != 0});
      return queues;
    });
  }

  Status runner_register(const RunnerInfo& r) override {
    return write("registering runner " + r.id, [&](Connection& c) {
      auto q = c.statement(sql::kRunnerRegister);
      q->bind(":id", r.id);
      q->bind(":host", r.host);
      q->bind(":boot_id", r.boot_id);
      q->bind(":pid", r.pid);
      q->bind(":pid_start", r.pid_start);
      q->bind(":started_at", r.started_at);
      q->bind(":heartbeat_at", r.heartbeat_at);
      q->exec();
      return Status::ok();
    });
  }

  Status runner_unregister(const std::string& id) override {
    return write("unregistering runner " + id, [&](Connection& c) {
      auto q = c.statement(sql::kRunnerUnregister);
      q->bind(":id", id);
      q->exec();
      return Status::ok();
    });
  }

  Result<std::vector<RunnerInfo>> runner_list() override {
    return read("listing runners", [&](Connection& c) -> Result<std::vector<RunnerInfo>> {
      auto q = c.statement(sql::kRunnerList);
      std::vector<RunnerInfo> runners;
      while (q->executeStep()) {
        runners.push_back({q->getColumn(0).getString(), q->getColumn(1).getString(),
                           q->getColumn(2).getString(), q->getColumn(3).getInt64(),
                           q->getColumn(4).getInt64(), q->getColumn(5).getInt64(),
                           q->getColumn(6).getInt64()});
      }
      return runners;
    });
  }

  // Read on a connection that never writes, so that a commit by any other connection, in this
  // process or another, changes it (SQLite leaves a connection's data_version alone for its own
  // commits). One connection also makes values read from different threads comparable.
  Result<std::uint64_t> data_version() override {
    try {
      std::lock_guard lock(watch_mu_);
      auto q = watch_->statement("PRAGMA data_version");
      q->executeStep();
      return static_cast<std::uint64_t>(q->getColumn(0).getInt64());
    } catch (...) {
      return status_from_current_exception("reading data_version");
    }
  }

 private:
  // Runs body(connection) in BEGIN IMMEDIATE and returns what it returns (a Status or a Result),
  // committing when that is ok. Every write of this engine goes through one connection, in turn:
  // the mutex queues this process's writers here instead of in SQLite's busy handler, which polls
  // with sleeps (busy_timeout is left for other processes), and one connection keeps the pages
  // that writes touch in one warm cache instead of each thread's connection re-reading them.
  template <class Body>
  std::invoke_result_t<Body, Connection&> write(const std::string& what, Body&& body) {
    // A checkpoint's in_transaction runs while this thread holds the write lock; a write from it
    // would wait on itself forever.
    if (writing_ == this) {
      return Status::invalid(what +
                             ": the engine cannot be written to from inside a checkpoint's in_transaction;"
                             " write through Transaction::sqlite() instead");
    }
    try {
      std::lock_guard lock(write_mu_);
      Connection& c = *writer_;
      SQLite::Transaction tx(c.db(), SQLite::TransactionBehavior::IMMEDIATE);
      writing_ = this;
      auto result = body(c);
      writing_ = nullptr;
      if (result.is_ok()) tx.commit();
      return result;
    } catch (...) {
      writing_ = nullptr;
      return status_from_current_exception(what);
    }
  }

  // A read is one statement, consistent on its own; it needs neither the mutex nor a transaction.
  template <class Body>
  std::invoke_result_t<Body, Connection&> read(const std::string& what, Body&& body) {
    try {
      return body(readers_->get());
    } catch (...) {
      return status_from_current_exception(what);
    }
  }

  // Reads job `id`, lets `refuse` object to its state, then runs `query`, which RETURNs the job.
  template <class Refuse>
  Result<Job> change_job(const std::string& what, JobId id, Timestamp now, const std::string& query,
                         Refuse&& refuse) {
    return write(what + job_name(id), [&](Connection& c) -> Result<Job> {
      auto current = find(c, id);
      if (!current) return Status::not_found(job_name(id) + " does not exist");
      if (Status s = refuse(*current); !s.is_ok()) return s;
      auto q = c.statement(query);
      q->bind(":now", now);
      q->bind(":id", id);
      return read_jobs(q).at(0);
    });
  }

  static std::vector<Job> claim(Connection& c, const JobClaimParams& p) {
    if (p.limit <= 0) return {};
    auto q = c.statement(sql::kClaim);
    q->bind(":now", p.now);
    q->bind(":owner", p.owner);
    q->bind(":token", new_lease_token());
    q->bind(":expires", p.now + p.lease_duration.count());
    q->bind(":queue", p.queue);
    q->bind(":limit", p.limit);
    std::vector<Job> jobs = read_jobs(q);
    // RETURNING hands rows back in no promised order.
    std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
      return std::tie(a.priority, a.scheduled_at, a.id) < std::tie(b.priority, b.scheduled_at, b.id);
    });
    return jobs;
  }

  static Status stale(JobId id, LeaseToken token) {
    return Status::stale(job_name(id) + " no longer holds lease " + std::to_string(token) +
                         " (it was finished, cancelled, rescued or released)");
  }

  static std::optional<Job> find(Connection& c, JobId id) {
    auto q = c.statement(sql::kSelectJob);
    q->bind(":id", id);
    if (!q->executeStep()) return std::nullopt;
    return read_job(*q);
  }

  // A new job's columns as they are bound: the JSON already written out as text.
  struct NewRow {
    std::string args, meta, tags;
    Timestamp scheduled_at;
    JobState state;
  };

  static NewRow new_row(const NewJob& job, Timestamp now) {
    NewRow r{json_text(job.args), json_text(job.meta), json_text(job.tags), job.scheduled_at.value_or(now),
             JobState::available};
    if (r.scheduled_at > now) r.state = JobState::scheduled;
    return r;
  }

  // The Job that inserting `job` as `row` stored, given its id.
  static Job inserted_job(const NewJob& job, const NewRow& row, JobId id, Timestamp now) {
    Job j;
    j.id = id;
    j.queue = job.queue;
    j.worker = job.worker;
    j.args = job.args;
    j.scheduled_at = row.scheduled_at;
    j.state = row.state;
    j.priority = job.priority.value_or(0);
    j.max_attempts = job.max_attempts;
    j.inserted_at = now;
    j.meta = job.meta;
    j.tags = job.tags;
    return j;
  }

  // Inserts jobs[first, last) (none of them unique) with INSERTs of up to kRowsPerInsert rows each,
  // appending their results to `out`.
  static void insert_rows(Connection& c, std::span<const NewJob> jobs, std::span<const NewRow> rows,
                          std::size_t first, std::size_t last, Timestamp now,
                          std::vector<InsertResult>& out) {
    while (first < last) {
      const std::size_t n = std::min(last - first, sql::kRowsPerInsert);
      auto q = c.statement(sql::insert_jobs(n));
      int column = 0;
      for (std::size_t i = first; i < first + n; ++i) {
        const NewJob& job = jobs[i];
        const NewRow& row = rows[i];
        q->bindNoCopy(++column, job.queue);
        q->bindNoCopy(++column, job.worker);
        q->bindNoCopy(++column, row.args);
        q->bindNoCopy(++column, to_string(row.state).data());
        q->bind(++column, job.priority.value_or(0));
        q->bind(++column, job.max_attempts);
        q->bind(++column, now);
        q->bind(++column, row.scheduled_at);
        q->bindNoCopy(++column, row.meta);
        q->bindNoCopy(++column, row.tags);
      }
      q->exec();
      if (c.db().getChanges() != static_cast<int>(n)) {
        throw std::runtime_error("inserting jobs: " + std::to_string(c.db().getChanges()) +
                                 " rows stored of " + std::to_string(n));
      }
      // One statement's rows take consecutive ids, in the order of its VALUES, ending at the last
      // rowid: nothing else writes while this transaction holds the write lock.
      const JobId last_id = c.db().getLastInsertRowid();
      for (std::size_t i = first; i < first + n; ++i) {
        const JobId id = last_id - static_cast<JobId>(first + n - 1 - i);
        out.push_back({inserted_job(jobs[i], rows[i], id, now), false});
      }
      first += n;
    }
  }

  static InsertResult insert_one(Connection& c, const NewJob& job, const NewRow& row, Timestamp now) {
    std::optional<std::string> key;
    if (job.unique) {
      key = unique_key_for(job);
      auto q = c.statement(sql::kFindDuplicate);
      q->bind(":key", *key);
      q->bind(":since", job.unique->period.count() == 0 ? std::numeric_limits<Timestamp>::min()
                                                        : now - job.unique->period.count());
      q->bind(":states", json_text(state_names(job.unique->states)));
      if (q->executeStep()) return {read_job(*q), true};
    }
    auto q = c.statement(sql::kInsertJob);
    q->bind(":queue", job.queue);
    q->bind(":worker", job.worker);
    q->bind(":args", row.args);
    q->bind(":state", std::string(to_string(row.state)));
    q->bind(":priority", job.priority.value_or(0));
    q->bind(":max_attempts", job.max_attempts);
    q->bind(":now", now);
    q->bind(":scheduled_at", row.scheduled_at);
    q->bind(":meta", row.meta);
    q->bind(":tags", row.tags);
    if (key) q->bind(":unique_key", *key);
    q->exec();
    Job inserted = inserted_job(job, row, c.db().getLastInsertRowid(), now);
    inserted.unique_key = std::move(key);
    return {std::move(inserted), false};
  }

  static Status finish_one(Connection& c, const JobFinishParams& p) {
    const std::string* query = nullptr;
    switch (p.kind) {
      case FinishKind::complete: query = &sql::kComplete; break;
      case FinishKind::error: query = &sql::kError; break;
      case FinishKind::discard:
      case FinishKind::cancel: query = &sql::kEnd; break;
      case FinishKind::snooze: query = &sql::kSnooze; break;
      case FinishKind::interrupt: query = &sql::kInterrupt; break;
    }
    if (query == nullptr)
      return Status::invalid("unknown FinishKind " + std::to_string(static_cast<int>(p.kind)));
    auto q = c.statement(*query);
    q->bind(":id", p.id);
    q->bind(":token", p.token);
    switch (p.kind) {
      case FinishKind::complete:
        q->bind(":now", p.now);
        bind_nullable_json(*q, ":result", p.result);
        break;
      case FinishKind::error:
        q->bind(":now", p.now);
        q->bind(":at", p.scheduled_at);
        q->bind(":entry", error_entry(p.now, p.message));
        break;
      case FinishKind::discard:
      case FinishKind::cancel:
        q->bind(":state", std::string(to_string(p.kind == FinishKind::discard ? JobState::discarded
                                                                              : JobState::cancelled)));
        q->bind(":now", p.now);
        q->bind(":entry", error_entry(p.now, p.message));
        break;
      case FinishKind::snooze: q->bind(":at", p.scheduled_at); break;
      case FinishKind::interrupt: q->bind(":now", p.now); break;
    }
    return q->exec() == 0 ? stale(p.id, p.token) : Status::ok();
  }

  struct Orphan {
    JobId id;
    int attempt;
    int max_attempts;
    std::string owner;
    Timestamp expires_at;
  };

  static RescueCounts rescue(Connection& c, const JobRescueParams& p) {
    json dead = json::array();
    for (const std::string& owner : p.dead_owners) dead.push_back(owner);
    std::vector<Orphan> orphans;
    {
      auto q = c.statement(sql::kOrphans);
      q->bind(":now", p.now);
      q->bind(":dead", json_text(dead));
      while (q->executeStep()) {
        orphans.push_back({q->getColumn(0).getInt64(), q->getColumn(1).getInt(), q->getColumn(2).getInt(),
                           q->getColumn(3).getString(), q->getColumn(4).getInt64()});
      }
    }
    RescueCounts counts;
    for (const Orphan& o : orphans) {
      const bool owner_dead =
          std::find(p.dead_owners.begin(), p.dead_owners.end(), o.owner) != p.dead_owners.end();
      std::string why = owner_dead ? "runner " + o.owner + " stopped without finishing the job"
                                   : "the lease of runner " + o.owner + " expired at " +
                                         std::to_string(o.expires_at) + " without the job finishing";
      why += " (attempt " + std::to_string(o.attempt) + " of " + std::to_string(o.max_attempts) + ")";
      const bool spent = o.attempt >= o.max_attempts;
      auto q = c.statement(spent ? sql::kRescueDiscard : sql::kRescue);
      q->bind(":id", o.id);
      if (spent) q->bind(":now", p.now);
      q->bind(":entry",
              error_entry(p.now, spent ? "orphaned too often, discarded: " + why : "orphaned: " + why));
      q->exec();
      ++(spent ? counts.discarded : counts.rescued);
    }
    return counts;
  }

  Status queue_set(const std::string& queue, bool paused, Timestamp now) {
    if (!valid_queue_name(queue)) {
      return Status::invalid("invalid queue name '" + queue +
                             "': use 1-64 characters of letters, digits, '_', '-' or '.'");
    }
    return write((paused ? "pausing queue " : "resuming queue ") + queue, [&](Connection& c) {
      auto q = c.statement(sql::kQueueSet);
      q->bind(":name", queue);
      q->bind(":paused", paused ? 1 : 0);
      q->bind(":now", now);
      q->exec();
      return Status::ok();
    });
  }

  static thread_local const SqliteEngine* writing_;

  std::shared_ptr<ConnectionPool> readers_;  // a connection per reading thread
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  Checkpointer checkpointer_;           // after writer_: gone before it
  std::mutex watch_mu_;
  std::unique_ptr<Connection> watch_;
};

thread_local const SqliteEngine* SqliteEngine::writing_ = nullptr;

}  // namespace

std::shared_ptr<Engine> make_sqlite_engine(const SqliteOptions& options,
                                           std::shared_ptr<ConnectionPool> readers,
                                           std::unique_ptr<Connection> writer,
                                           std::unique_ptr<Connection> watch) {
  return std::make_shared<SqliteEngine>(options, std::move(readers), std::move(writer), std::move(watch));
}

}  // namespace jobrunner
