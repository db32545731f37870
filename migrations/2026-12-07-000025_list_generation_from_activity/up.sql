-- Task updates and comment writes stop bumping the list generation.
--
-- The list generation is now read from the project's activity log
-- (`ListGeneration` in adapters-postgres/src/repositories/projects.rs):
-- every write a task list shows (task create, update, delete, the
-- unassignments of a member's removal, comment create and delete) commits
-- an activity entry in its own transaction, and the entries' writing
-- transaction ids below and above the horizon name exactly what a snapshot
-- sees. The row trigger that upserted a shard of `task_list_generations`
-- on every task update was a quarter to a third of a PATCH's database time
-- (pgbench on the one-statement PATCH, docs/performance.md).
--
-- Contract step of expand/contract (docs/deployment.md): the code that
-- stopped reading the shards shipped first (commit "List generation from
-- the activity log"); deploy a release with it before this migration runs.
-- The table, and the counters' `changes` the insert trigger still adds,
-- stay for the release that could still read them; a later release drops
-- them.
DROP TRIGGER task_list_on_update ON tasks;
DROP TRIGGER task_list_on_comment ON comments;
DROP FUNCTION task_list_bump_update();
DROP FUNCTION task_list_bump_comment();
