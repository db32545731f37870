-- Personal access tokens (contract → Personal access tokens). The secret is
-- kept only as HMAC-SHA256 under a key derived from the server's secret: a
-- token has ~238 random bits, so a slow hash (bcrypt) would buy nothing but
-- CPU on every request, and the key means a copy of this table alone cannot
-- even confirm a guessed token. `prefix` (`ofp_` + 8) is shown in lists and
-- leads the lookup index.
CREATE TABLE personal_tokens (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    scopes       text[]      NOT NULL CHECK (scopes <@ ARRAY['read', 'write'] AND cardinality(scopes) > 0),
    prefix       text        NOT NULL,
    token_hash   bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
-- The per-request lookup: prefix and hash, one index probe.
CREATE UNIQUE INDEX personal_tokens_lookup_idx ON personal_tokens (prefix, token_hash);
-- A user's list and the 50-token count; whole (not partial), so deleting a
-- user finds their tokens by index too.
CREATE INDEX personal_tokens_user_idx ON personal_tokens (user_id, created_at);
