-- Idempotency-Key records live in PostgreSQL, written in the transaction of
-- the create they protect: the key is claimed (the primary key makes a second
-- claim wait for the first transaction, then see its row), the task inserted
-- and the response kept, all or nothing. No Redis involved: replay is exact
-- even across a crash between "task written" and "response stored".
CREATE TABLE idempotency_keys (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key         text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    -- SHA-256 of method, path and body: the same key with another request is 422.
    fingerprint text        NOT NULL,
    -- The response the first request answered, replayed as is. NULL only
    -- inside the claiming transaction.
    response    bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Keys protect for 24 hours; the worker deletes older ones by this index.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
