-- Due-date reminders are jobs written by the task's own transaction, with
-- run_at = due_at - lead: no scan of the tasks table ever looks for due
-- tasks; the job queue's run_at index is the schedule. A trigger rather than
-- application code, like task_counts: every write path arms, re-arms and
-- cancels the same way (API, bulk SQL, seeds).
--
-- One reminder per (task, due_at): its dedupe_key is unique, so two writers
-- (or a retried write) can never arm it twice. Changing due_at arms a new key
-- and cancels the queued old one; done, deleted or unassigned cancels it. A
-- job already running when that happens re-checks the task before it
-- notifies (the worker's handler), so a stale one does nothing.
--
-- The lead (OPSFLOW_REMINDER_LEAD_SECS) reaches the trigger as the session
-- setting opsflow.reminder_lead_secs, which the api sets on each new
-- connection; other sessions (psql, a bulk load) get the contract's default.

ALTER TABLE jobs ADD COLUMN task_id uuid;
CREATE INDEX jobs_queued_reminders_idx ON jobs (task_id)
    WHERE kind = 'task_reminder' AND status = 'queued';

-- The contract names the notification kind by its event.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('task.due_soon'));

CREATE FUNCTION task_reminder_key(task uuid, due timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN 'reminder:' || task || ':' || (extract(epoch FROM due) * 1000000)::bigint;

CREATE FUNCTION task_reminder_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lead interval := make_interval(secs => coalesce(
        nullif(current_setting('opsflow.reminder_lead_secs', true), '')::int, 3600));
    wanted text;
BEGIN
    IF NEW.deleted_at IS NULL AND NEW.assignee_id IS NOT NULL
       AND NEW.due_at IS NOT NULL AND NEW.status <> 'done' THEN
        wanted := task_reminder_key(NEW.id, NEW.due_at);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM jobs
         WHERE task_id = NEW.id AND kind = 'task_reminder' AND status = 'queued'
           AND dedupe_key IS DISTINCT FROM wanted;
    END IF;
    IF wanted IS NOT NULL THEN
        INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, task_id)
        VALUES (gen_random_uuid(), 'task_reminder',
                jsonb_build_object('task_id', NEW.id, 'due_at', NEW.due_at),
                wanted, NEW.due_at - lead, NEW.id)
        ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_reminder_on_insert AFTER INSERT ON tasks
    FOR EACH ROW WHEN (NEW.due_at IS NOT NULL AND NEW.assignee_id IS NOT NULL)
    EXECUTE FUNCTION task_reminder_sync();
-- Only updates that can change the reminder fire it (a title edit does not).
CREATE TRIGGER task_reminder_on_update AFTER UPDATE ON tasks
    FOR EACH ROW
    WHEN (OLD.due_at IS DISTINCT FROM NEW.due_at
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION task_reminder_sync();
