-- Sessions (contract → Sessions): a session is one refresh-token family.
-- Who opened it is recorded at login on the family's first token and copied
-- onto each successor, so the family's live token (the one not yet replaced)
-- carries it; its created_at is the session's last use (login or refresh).
ALTER TABLE refresh_tokens
    ADD COLUMN user_agent text,
    ADD COLUMN ip text;
