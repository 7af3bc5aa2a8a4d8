-- A password an administrator sets (a first one, or after a reset) is temporary: the member
-- changes it at their next sign-in before anything else.
ALTER TABLE staff ADD COLUMN password_temporary BIGINT NOT NULL DEFAULT 0;
