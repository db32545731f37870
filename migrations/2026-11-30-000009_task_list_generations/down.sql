DROP TRIGGER task_list_on_comment ON comments;
DROP TRIGGER task_list_on_update ON tasks;
DROP TRIGGER task_list_on_delete ON tasks;
DROP TRIGGER task_list_on_insert ON tasks;
DROP FUNCTION task_list_bump_comment();
DROP FUNCTION task_list_bump_update();
DROP FUNCTION task_list_bump_rows();
DROP FUNCTION task_list_bump(uuid, uuid);
DROP TABLE task_list_generations;
