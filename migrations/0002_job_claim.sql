-- 0002_job_claim.sql - a claim generation per job. Every claim increments it
-- and a worker's writes to its job must name the claim they belong to, so a
-- worker whose job was re-queued (a stale heartbeat) and claimed again by
-- another cannot write to it any more.

ALTER TABLE jobs ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
