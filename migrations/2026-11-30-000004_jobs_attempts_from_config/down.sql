ALTER TABLE jobs ADD COLUMN max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts >= 1);
