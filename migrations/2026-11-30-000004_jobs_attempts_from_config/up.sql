-- How many tries a job gets is configuration (OPSFLOW_JOB_MAX_ATTEMPTS, read by
-- the worker's RetryPolicy), not a per-row default the configuration could
-- never change: the column only ever held that default.
ALTER TABLE jobs DROP COLUMN max_attempts;
