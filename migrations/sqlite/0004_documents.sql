-- Documents attached to a case (by a citizen online, later at the counter or by mail). The
-- content lives in the data directory under its SHA-256, outside anything served; the row says
-- what it is, who added it and when.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL
);
CREATE INDEX documents_case ON documents (case_id);
