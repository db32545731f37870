ALTER TABLE jobs DROP COLUMN lease_token;
