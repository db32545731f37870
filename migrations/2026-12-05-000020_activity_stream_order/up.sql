-- The live-event stream's order (docs/events.md): each activity entry
-- records the id of the transaction that wrote it, and a stream reads a
-- project's entries in (txid, id) order, but only below the horizon
-- `pg_snapshot_xmin(pg_current_snapshot())` — the oldest transaction still
-- running. Below it every transaction has ended, so no entry can ever
-- appear there again: a stream that has sent everything up to a position
-- never meets an entry before it later (no gap on resume), whatever order
-- the writers committed in. Entry ids (UUIDv7, made before commit) alone
-- could interleave: a later commit with an earlier id.
--
-- A transaction gets its id at its first write, so two writes of one row
-- are ordered by it as they committed (the second waits for the first's
-- row lock with its id already taken, later than the first's).
-- Rows written before this migration share its transaction's id and keep
-- their id order.
ALTER TABLE activity_logs
    ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);

-- A project's stream: its replay after an entry, and the tail read of the
-- projects a process has streams on.
CREATE INDEX activity_logs_stream_idx ON activity_logs (project_id, txid, id);
