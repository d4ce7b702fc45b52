-- The counts are derived from the jobs, and the indexes come back: every job stays.
-- jobrunner: derived job_counts
DROP INDEX jobs_worker_id;
DROP INDEX jobs_queue_id;
DROP TRIGGER job_counts_delete;
DROP TRIGGER job_counts_update;
DROP TRIGGER job_counts_insert;
DROP TABLE job_counts;
CREATE INDEX jobs_queue_state ON jobs (queue, state);
CREATE INDEX jobs_worker_state ON jobs (worker, state);
