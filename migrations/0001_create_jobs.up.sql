-- Jobs, queues and runners. Times are INTEGER milliseconds since the Unix epoch; JSON is TEXT.

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after pruning
  queue            TEXT    NOT NULL,
  worker           TEXT    NOT NULL,
  args             TEXT    NOT NULL DEFAULT '{}',
  state            TEXT    NOT NULL DEFAULT 'available'
                   CHECK (state IN ('scheduled', 'available', 'executing', 'retryable',
                                    'completed', 'discarded', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
  attempt          INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts     INTEGER NOT NULL DEFAULT 20 CHECK (max_attempts >= 1),
  inserted_at      INTEGER NOT NULL,
  scheduled_at     INTEGER NOT NULL,
  attempted_at     INTEGER,
  finished_at      INTEGER,
  errors           TEXT    NOT NULL DEFAULT '[]',
  meta             TEXT    NOT NULL DEFAULT '{}',
  tags             TEXT    NOT NULL DEFAULT '[]',
  checkpoint       TEXT,
  progress_done    INTEGER,
  progress_total   INTEGER,
  result           TEXT,
  unique_key       TEXT,
  lease_owner      TEXT,
  lease_token      INTEGER,
  lease_expires_at INTEGER,
  CHECK ((state = 'executing') = (lease_token IS NOT NULL))
);

-- The claim: the first available jobs of a queue in priority, scheduled_at, id order. Only
-- available jobs are in it, so a claim costs the same however many jobs have finished or wait.
CREATE INDEX jobs_claim ON jobs (queue, priority, scheduled_at, id) WHERE state = 'available';

-- The stager: scheduled and retryable jobs whose time has come.
CREATE INDEX jobs_stage ON jobs (scheduled_at) WHERE state IN ('scheduled', 'retryable');

-- The rescuer: executing jobs whose lease has expired. Looking for the jobs of dead runners scans
-- this index too, which holds only the executing jobs, never more than the runners' slots.
CREATE INDEX jobs_rescue ON jobs (lease_expires_at) WHERE state = 'executing';

-- Unique inserts: earlier jobs with the same key.
CREATE INDEX jobs_unique ON jobs (unique_key, inserted_at) WHERE unique_key IS NOT NULL;

-- The pruner: final jobs by the time they finished.
CREATE INDEX jobs_prune ON jobs (finished_at) WHERE state IN ('completed', 'discarded', 'cancelled');

-- Listing and counting by queue and state, and the queues that have jobs.
CREATE INDEX jobs_queue_state ON jobs (queue, state);

CREATE TABLE queues (
  name       TEXT    PRIMARY KEY,
  paused     INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  updated_at INTEGER NOT NULL
);

CREATE TABLE runners (
  id           TEXT    PRIMARY KEY,
  host         TEXT    NOT NULL,
  boot_id      TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  pid_start    INTEGER NOT NULL,  -- the process start time, to tell a reused pid apart
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
