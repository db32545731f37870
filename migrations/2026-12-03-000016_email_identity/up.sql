-- One email, one identity (domain/src/auth/email_identity.rs): every
-- comparison of addresses uses the normalized form, stored here and unique.
-- The address as typed stays in `email` for display.
--
-- Existing rows are normalized with PostgreSQL's NFKC and lower(), which is
-- the domain's function for every address the old code could log in with
-- (the old login compared lower() already). Rows whose normalized forms
-- collide are NOT merged: the oldest keeps the address, every other one is
-- listed in `email_identity_collisions` for an operator, gets a normalized
-- form no typed address can match (so it cannot log in by email until an
-- operator resolves it), and the migration says how many it found.
ALTER TABLE users ADD COLUMN email_normalized text;

UPDATE users SET email_normalized = lower(normalize(email, NFKC));

CREATE TABLE email_identity_collisions (
    user_id       uuid        PRIMARY KEY REFERENCES users (id),
    email         text        NOT NULL,
    normalized    text        NOT NULL,
    kept_user_id  uuid        NOT NULL REFERENCES users (id),
    found_at      timestamptz NOT NULL DEFAULT now()
);

WITH ranked AS (
    SELECT id, email, email_normalized,
           first_value(id) OVER (PARTITION BY email_normalized ORDER BY created_at, id) AS kept
      FROM users
)
INSERT INTO email_identity_collisions (user_id, email, normalized, kept_user_id)
SELECT id, email, email_normalized, kept FROM ranked WHERE id <> kept;

UPDATE users u
   SET email_normalized = '#collision:' || u.id || ':' || u.email_normalized
  FROM email_identity_collisions c
 WHERE c.user_id = u.id;

DO $$
DECLARE found bigint;
BEGIN
    SELECT count(*) INTO found FROM email_identity_collisions;
    IF found > 0 THEN
        RAISE WARNING 'email identity: % account(s) collide with an older one once normalized; listed in email_identity_collisions, not merged', found;
    END IF;
END
$$;

ALTER TABLE users ALTER COLUMN email_normalized SET NOT NULL;
CREATE UNIQUE INDEX users_email_normalized_key ON users (email_normalized);
DROP INDEX users_email_lower_key;
