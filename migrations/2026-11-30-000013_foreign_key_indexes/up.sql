-- What references a task gets an index its foreign-key check can use (the
-- other unindexed references point at rows nothing hard-deletes: the test
-- names them). Deleting a task makes
-- PostgreSQL look for rows that still reference it; comments(task_id) had
-- only a partial index (live comments, for the list's counts), which that
-- lookup cannot use, and notifications(task_id) had none, so each deleted
-- task read both tables from end to end. `make bench` found it: its cleanup
-- of 400,000 inserted tasks read 6 billion comment rows in 6 minutes. The API
-- soft-deletes tasks, but a purge, a cascade or an operator's DELETE pays the
-- same. Guarded by migrations.rs::foreign_keys_are_indexed_unless_their_rows_are_never_deleted.
CREATE INDEX comments_task_idx ON comments (task_id);
CREATE INDEX notifications_task_idx ON notifications (task_id);
