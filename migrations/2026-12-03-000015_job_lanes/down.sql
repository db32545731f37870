CREATE OR REPLACE FUNCTION webhook_enqueue_activity() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP INDEX jobs_deliveries_in_flight_idx;
ALTER TABLE jobs DROP COLUMN team_id, DROP COLUMN target_host;
ALTER TABLE webhooks DROP COLUMN host;
DROP INDEX jobs_claimable_idx;
CREATE INDEX jobs_claimable_idx ON jobs (run_at, id) WHERE status IN ('queued', 'running');
