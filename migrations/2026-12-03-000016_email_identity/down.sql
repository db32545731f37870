CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
DROP INDEX users_email_normalized_key;
DROP TABLE email_identity_collisions;
ALTER TABLE users DROP COLUMN email_normalized;
