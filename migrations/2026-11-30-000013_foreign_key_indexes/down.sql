DROP INDEX notifications_task_idx;
DROP INDEX comments_task_idx;
