DROP INDEX jobs_claimable_idx;
CREATE INDEX jobs_claimable_idx ON jobs (run_at) WHERE status IN ('queued', 'running');
