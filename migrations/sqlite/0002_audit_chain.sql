-- The audit trail becomes a hash chain: each entry carries the hash of the one before, and the
-- head row holds the last sequence number and hash, so that an edited, deleted or appended-out-
-- of-band entry is detected by `harta admin audit verify`.
ALTER TABLE audit_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
