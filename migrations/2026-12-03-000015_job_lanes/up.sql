-- Lanes and delivery fairness (docs/jobs.md → Lanes and fairness).
--
-- Worker loops claim one lane's kinds only, so the claim index leads with the
-- kind: a reminder loop's claim never walks past webhook deliveries.
DROP INDEX jobs_claimable_idx;
CREATE INDEX jobs_claimable_idx ON jobs (kind, run_at, id) WHERE status IN ('queued', 'running');

-- A delivery carries its team and its receiver's host, so the delivery claim
-- can bound how many are in flight per host and per team. The host is the
-- one the domain parsed from the URL at registration (webhooks.host).
ALTER TABLE webhooks ADD COLUMN host text;
UPDATE webhooks
   SET host = trim(BOTH '[]' FROM lower(substring(url FROM '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^]]*\]|[^:/?#]*)')));
ALTER TABLE webhooks ALTER COLUMN host SET NOT NULL;

ALTER TABLE jobs ADD COLUMN team_id uuid, ADD COLUMN target_host text;
UPDATE jobs j
   SET team_id = w.team_id, target_host = w.host
  FROM webhooks w
 WHERE j.kind = 'webhook_delivery' AND w.id = (j.payload->>'webhook_id')::uuid;
CREATE INDEX jobs_deliveries_in_flight_idx ON jobs (target_host, team_id)
    WHERE kind = 'webhook_delivery' AND status = 'running';

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
