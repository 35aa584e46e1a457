-- 0005_proofs.sql - proofs of new inputs with a registered version's key
-- (POST /models/{task}/versions/{n}/proofs). One row per proof job: queued,
-- running, done or failed, claimed by a worker like a version's job (worker,
-- heartbeat, claim generation fencing its writes), so a queued or interrupted
-- proof survives a restart. The id is 32 random hex digits made by the server;
-- it also names the proof's folder under the version's artifacts.

CREATE TABLE proofs (
    id            TEXT PRIMARY KEY CHECK (length(id) = 32),
    version_id    INTEGER NOT NULL REFERENCES versions(id),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    input         TEXT NOT NULL,   -- the input's canonical JSON (docs/ARCHITECTURE.md)
    output_data   TEXT,            -- the outputs the caller expects (JSON array), or NULL
    worker_pid    INTEGER,
    heartbeat_at  INTEGER,
    claim         INTEGER NOT NULL DEFAULT 0,
    result        TEXT,            -- the result's JSON once done
    error         TEXT,            -- why it failed
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER
);
CREATE INDEX proofs_by_state ON proofs (state, created_at);
