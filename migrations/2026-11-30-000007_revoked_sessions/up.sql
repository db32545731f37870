-- Revocation lives in PostgreSQL (Redis only answers it fast): with Redis
-- unreachable every authenticated request asks "is this session's family
-- revoked?" (refresh_tokens_family_id_idx serves that), and a Redis that
-- restarted empty is refilled with "every family revoked in the last access-
-- token lifetime". This index serves the refill; it holds only revoked rows.
CREATE INDEX refresh_tokens_revoked_at_idx ON refresh_tokens (revoked_at)
    WHERE revoked_at IS NOT NULL;
