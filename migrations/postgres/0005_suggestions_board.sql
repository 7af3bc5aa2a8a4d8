-- The suggestions board (C3): a suggestion is published only when its author agreed, when the
-- form was sent, and after a member of staff approved the wording shown (without personal data).
ALTER TABLE cases ADD COLUMN publish_consent BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE publications (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    published BOOLEAN NOT NULL DEFAULT FALSE,
    text TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    decided_by TEXT NOT NULL
);
CREATE INDEX publications_published ON publications (published, case_id);
