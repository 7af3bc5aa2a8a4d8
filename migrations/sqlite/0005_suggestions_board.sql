-- The suggestions board (C3): a suggestion is published only when its author agreed, when the
-- form was sent, and after a member of staff approved the wording shown (without personal data).
ALTER TABLE cases ADD COLUMN publish_consent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE publications (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    published INTEGER NOT NULL DEFAULT 0,
    text TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    decided_by TEXT NOT NULL
);
CREATE INDEX publications_published ON publications (published, case_id);
