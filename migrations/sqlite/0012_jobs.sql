-- The outbox: work to do after the commit that caused it (an e-mail to send), written in that
-- same transaction. Workers claim due rows for a lease; a crashed worker's lease runs out and
-- another takes the row. Finished rows stay as the record of what was done.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error TEXT,
    finished_at INTEGER,
    outcome TEXT CHECK (outcome IN ('done', 'failed'))
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE finished_at IS NULL;
CREATE INDEX jobs_case ON jobs (case_id);
