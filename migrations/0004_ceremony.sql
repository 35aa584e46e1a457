-- 0004_ceremony.sql - a job may wait for phase-2 contributions: state
-- 'awaiting_contributions' (an upload with ceremony=open stops there after
-- its setup, until the operator finalizes), and the job's ceremony: 'none'
-- (the service's contribution only), 'open' or 'finalized'.
--
-- SQLite cannot change a CHECK constraint in place, so jobs is rebuilt with
-- every row kept. The migration runs inside a transaction with foreign keys
-- on (PRAGMA foreign_keys cannot change there), so steps, whose rows
-- reference jobs, is set aside first and rebuilt after jobs: dropping jobs
-- with steps still referencing it would fail the foreign key check.

CREATE TABLE jobs_new (
    id            INTEGER PRIMARY KEY,
    version_id    INTEGER NOT NULL UNIQUE REFERENCES versions(id),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed',
                                   'awaiting_contributions')),
    sample        INTEGER NOT NULL DEFAULT 0,
    target        TEXT NOT NULL DEFAULT 'resources',
    worker_pid    INTEGER,
    heartbeat_at  INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    message       TEXT,
    error         TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    claim         INTEGER NOT NULL DEFAULT 0,
    ceremony      TEXT NOT NULL DEFAULT 'none'
                  CHECK (ceremony IN ('none', 'open', 'finalized'))
);
INSERT INTO jobs_new (id, version_id, state, sample, target, worker_pid, heartbeat_at,
                      attempts, not_before, message, error, created_at, updated_at, claim)
    SELECT id, version_id, state, sample, target, worker_pid, heartbeat_at,
           attempts, not_before, message, error, created_at, updated_at, claim FROM jobs;

CREATE TABLE steps_saved AS SELECT * FROM steps;
DROP TABLE steps;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_by_state ON jobs (state, not_before, id);

CREATE TABLE steps (
    job_id       INTEGER NOT NULL REFERENCES jobs(id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'failed', 'skipped')),
    started_at   INTEGER,
    finished_at  INTEGER,
    ms           INTEGER,
    message      TEXT,
    PRIMARY KEY (job_id, name)
);
INSERT INTO steps SELECT job_id, position, name, state, started_at, finished_at, ms, message
    FROM steps_saved;
DROP TABLE steps_saved;
