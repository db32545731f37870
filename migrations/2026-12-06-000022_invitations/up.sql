-- Invitations (contract → Invitations): an admin invites an address to a
-- team with a role; the token is kept only as its SHA-256 (it is 256 random
-- bits: nothing to brute-force, and an exact lookup).
CREATE TABLE invitations (
    id               uuid        PRIMARY KEY,
    team_id          uuid        NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email            text        NOT NULL,
    email_normalized text        NOT NULL,
    role             text        NOT NULL CHECK (role IN ('admin', 'manager', 'member')),
    token_hash       bytea       NOT NULL UNIQUE,
    invited_by       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    accepted_at      timestamptz,
    accepted_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    revoked_at       timestamptz
);
-- One pending invitation per team and address: the index refuses a second
-- (the service revokes an expired one before inviting again).
CREATE UNIQUE INDEX invitations_pending_idx ON invitations (team_id, email_normalized)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_team_id_idx ON invitations (team_id, created_at);
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by);
CREATE INDEX invitations_accepted_by_idx ON invitations (accepted_by);
