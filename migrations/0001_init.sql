-- 0001_init.sql - tasks, their versions, one job per version, one row per
-- pipeline step of a job, and the artifacts each version has on disk.
-- Times are milliseconds since the epoch (UTC).

CREATE TABLE tasks (
    task_id     TEXT PRIMARY KEY CHECK (length(task_id) BETWEEN 1 AND 64),
    created_at  INTEGER NOT NULL
);

CREATE TABLE versions (
    id          INTEGER PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks(task_id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    model_hash  TEXT NOT NULL CHECK (length(model_hash) = 64),
    has_data    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (task_id, version),
    UNIQUE (task_id, model_hash)
);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    version_id    INTEGER NOT NULL UNIQUE REFERENCES versions(id),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    sample        INTEGER NOT NULL DEFAULT 0,
    target        TEXT NOT NULL DEFAULT 'resources',
    worker_pid    INTEGER,
    heartbeat_at  INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    message       TEXT,
    error         TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
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

CREATE TABLE artifacts (
    version_id  INTEGER NOT NULL REFERENCES versions(id),
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    step        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (version_id, name)
);
