-- Only the index goes; every job stays.
DROP INDEX jobs_worker_state;
