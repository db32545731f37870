-- Back to the triggers of 000010 and 000015.
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

CREATE OR REPLACE FUNCTION webhook_enqueue_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (id, kind, payload, run_at, team_id, target_host)
    SELECT gen_random_uuid(), 'webhook_delivery',
           jsonb_build_object(
               'webhook_id', w.id,
               'event', NEW.action,
               'occurred_at', NEW.created_at,
               'data', jsonb_build_object(
                   'id', NEW.id,
                   'actor', jsonb_build_object('id', NEW.actor_id, 'name', u.name),
                   'action', NEW.action,
                   'entity_type', NEW.entity_type,
                   'entity_id', NEW.entity_id,
                   'changes', NEW.changes,
                   'created_at', NEW.created_at,
                   'project_id', NEW.project_id,
                   'team_id', p.team_id)),
           now(),
           p.team_id,
           w.host
      FROM projects p
      JOIN webhooks w ON w.team_id = p.team_id AND w.deleted_at IS NULL
                     AND NEW.action = ANY (w.events)
      LEFT JOIN users u ON u.id = NEW.actor_id
     WHERE p.id = NEW.project_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_deliveries_on_activity AFTER INSERT ON activity_logs
    FOR EACH ROW EXECUTE FUNCTION webhook_enqueue_activity();
