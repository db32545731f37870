-- Every activity entry becomes one delivery job per subscribed webhook of its
-- team, in the transaction of the write that caused it: the write, its
-- activity entry and its deliveries commit together or not at all (an
-- outbox). A trigger, so no write path can forget, and no extra round trip:
-- a team without webhooks costs one index probe.
--
-- The job's id is the delivery id (X-OpsFlow-Delivery): the same on every
-- retry, so receivers can de-duplicate. The payload carries the event and
-- its data as the contract shows them; the worker adds the id and signs.
CREATE FUNCTION webhook_enqueue_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO jobs (id, kind, payload, run_at)
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
           now()
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

-- Deleting a webhook drops its queued deliveries (by webhook id).
CREATE INDEX jobs_queued_deliveries_idx ON jobs ((payload->>'webhook_id'))
    WHERE kind = 'webhook_delivery' AND status = 'queued';
