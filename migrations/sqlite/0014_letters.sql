-- Outgoing letters, stored as issued (C18, C19): numbered per case (`РКС26-ГР94-15/1`), with the
-- texts the officer approved, the contact block it carried, and its HTML and PDF.
CREATE TABLE letters (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    n INTEGER NOT NULL,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    contact TEXT NOT NULL,
    html TEXT NOT NULL,
    pdf BLOB NOT NULL,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL,
    UNIQUE (case_id, n)
);
