-- Counting and listing without indexes that move on every change of state.
--
-- jobs_queue_state and jobs_worker_state held (queue, state) and (worker, state): every claim and
-- every finish moved a job's entry in both, which cost about as much as the rest of the change. They
-- give way to:
--   job_counts, the number of jobs by queue, worker and state, kept by the triggers below, so that
--   counting (`jobrunner stats`, /metrics) and listing queues read a few rows however many jobs
--   there are;
--   jobs_queue_id and jobs_worker_id, (queue, id) and (worker, id), for listing one queue's or one
--   worker's jobs newest first. Neither key changes after the insert, so a change of state leaves
--   them alone.

CREATE TABLE job_counts (
  queue  TEXT    NOT NULL,
  worker TEXT    NOT NULL,
  state  TEXT    NOT NULL,
  n      INTEGER NOT NULL,  -- 0 once every such job is gone; the row stays
  PRIMARY KEY (queue, worker, state)
) WITHOUT ROWID;

INSERT INTO job_counts (queue, worker, state, n)
SELECT queue, worker, state, count(*) FROM jobs GROUP BY queue, worker, state;

CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
BEGIN
  INSERT INTO job_counts (queue, worker, state, n) VALUES (NEW.queue, NEW.worker, NEW.state, 1)
  ON CONFLICT (queue, worker, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER job_counts_update AFTER UPDATE OF queue, worker, state ON jobs
WHEN OLD.state IS NOT NEW.state OR OLD.queue IS NOT NEW.queue OR OLD.worker IS NOT NEW.worker
BEGIN
  UPDATE job_counts SET n = n - 1 WHERE queue = OLD.queue AND worker = OLD.worker AND state = OLD.state;
  INSERT INTO job_counts (queue, worker, state, n) VALUES (NEW.queue, NEW.worker, NEW.state, 1)
  ON CONFLICT (queue, worker, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
BEGIN
  UPDATE job_counts SET n = n - 1 WHERE queue = OLD.queue AND worker = OLD.worker AND state = OLD.state;
END;

DROP INDEX jobs_queue_state;
DROP INDEX jobs_worker_state;
CREATE INDEX jobs_queue_id ON jobs (queue, id);
CREATE INDEX jobs_worker_id ON jobs (worker, id);
