DROP TRIGGER task_counts_on_delete ON tasks;
DROP TRIGGER task_counts_on_update ON tasks;
DROP TRIGGER task_counts_on_insert ON tasks;
DROP FUNCTION task_counts_move();
DROP FUNCTION task_counts_apply();
DROP TABLE task_counts;
DROP FUNCTION task_counts_shard(uuid);
