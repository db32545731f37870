ALTER TABLE refresh_tokens
    DROP COLUMN ip,
    DROP COLUMN user_agent;
