-- The audit chain becomes keyed (an HMAC under a key kept apart from the database): `keyed`
-- says whether its hashes are MACs yet (harta re-keys an intact plain chain once, at start).
-- `key_check` proves which secret key the store was set up with, so a different key is refused.
ALTER TABLE audit_head ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE administration ADD COLUMN key_check TEXT;
