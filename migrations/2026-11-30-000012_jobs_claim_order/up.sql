-- The claim orders by (run_at, id) and stops at the first due job; the old
-- index had run_at only, so PostgreSQL sorted every unfinished job on every
-- claim (a sequential scan and a sort of 20,000 rows: 11.7 ms per claim, 77
-- reminders/s). With the id in the index the claim is an index scan that
-- stops at the first row (0.05 ms). Measured: docs/performance.md.
DROP INDEX jobs_claimable_idx;
CREATE INDEX jobs_claimable_idx ON jobs (run_at, id) WHERE status IN ('queued', 'running');
