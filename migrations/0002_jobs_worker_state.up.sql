-- Listing and counting one worker's jobs (`jobrunner jobs --worker W`, optionally by state)
-- without reading every job.
CREATE INDEX jobs_worker_state ON jobs (worker, state);
