DROP TRIGGER task_reminder_on_update ON tasks;
DROP TRIGGER task_reminder_on_insert ON tasks;
DROP FUNCTION task_reminder_sync();
DROP FUNCTION task_reminder_key(uuid, timestamptz);
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('task_reminder'));
DROP INDEX jobs_queued_reminders_idx;
ALTER TABLE jobs DROP COLUMN task_id;
