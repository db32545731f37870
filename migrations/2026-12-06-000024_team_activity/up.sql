-- The team's audit trail (contract → Activity log, team paragraph): who
-- renamed the team, added, re-roled or removed a member, created, accepted
-- or revoked an invitation, registered or deleted a webhook. Its own table,
-- not a nullable project_id on activity_logs: the project feed, its stream
-- order (txid) and its index stay exactly as they were, and a team entry can
-- never leak into a project's feed or live stream. The entity is always the
-- team; `changes` names the member, invitation or webhook (docs/data-model.md → The team audit trail).
-- The action is the domain's (`ActivityAction`); the table only stores it.
CREATE TABLE team_activity_logs (
    id          uuid        PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES teams (id),
    actor_id    uuid        NOT NULL REFERENCES users (id),
    action      text        NOT NULL,
    changes     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL
);
-- The trail, newest first, one index range per page.
CREATE INDEX team_activity_logs_team_idx ON team_activity_logs (team_id, created_at DESC, id DESC);
