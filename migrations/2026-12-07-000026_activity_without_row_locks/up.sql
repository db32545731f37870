-- The activity log keeps no foreign keys to `projects` and `users`.
--
-- Why: a foreign-key check takes a key-share lock on the referenced row,
-- and every write of a project inserts an entry naming the same project row
-- and, for one user, the same user row. Concurrent writers of one project
-- then share those row locks, which PostgreSQL records as multixacts
-- (the row's lock holders rewritten on each new locker). pgbench on the
-- one-statement PATCH, 64 clients in one project: +9–19 % without the two
-- keys (docs/performance.md, 2026-12-07).
--
-- What they guarded: an entry naming a project or user that does not
-- exist. Nothing deletes users or projects (both are kept, projects
-- soft-deleted), and every entry is written by the statement of the write it
-- records, after that statement found the project live in the caller's team
-- and the caller a member (`written_with_outbox`). An audit trail that
-- outlives what it names is what a log is for.
--
-- Compatible with the previous release (it wrote the same rows).
ALTER TABLE activity_logs
    DROP CONSTRAINT activity_logs_actor_id_fkey,
    DROP CONSTRAINT activity_logs_project_id_fkey;
