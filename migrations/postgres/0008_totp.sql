-- The second factor (TOTP): the secret sealed with the administration's key, and the last time
-- step a code was accepted for, so that a code is accepted only once, on every replica.
ALTER TABLE staff ADD COLUMN totp_sealed BYTEA;
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
