-- Every issued letter's delivery on a channel (C20): waiting, sent (the channel confirmed it) or
-- failed (somebody has to choose another channel). A letter may have several: a failed e-mail,
-- then the post.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    letter_n INTEGER NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'post', 'phone', 'fax', 'in_person')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    -- What the channel said: a Message-ID, a call's outcome, a failure's reason.
    detail TEXT,
    FOREIGN KEY (case_id, letter_n) REFERENCES letters (case_id, n)
);
CREATE INDEX deliveries_case ON deliveries (case_id, letter_n);
CREATE INDEX deliveries_waiting ON deliveries (channel, created_at) WHERE state = 'pending';
CREATE INDEX deliveries_failed ON deliveries (created_at) WHERE state = 'failed';

-- Jobs that deliver a letter name their delivery; an administrator may cancel a job. SQLite
-- cannot change a CHECK, so the table is rebuilt.
CREATE TABLE jobs_new (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    delivery_id INTEGER REFERENCES deliveries (id),
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error TEXT,
    finished_at INTEGER,
    outcome TEXT CHECK (outcome IN ('done', 'failed', 'cancelled'))
);
INSERT INTO jobs_new (id, kind, case_id, payload, created_at, run_at, attempts, locked_until, last_error,
    finished_at, outcome)
SELECT id, kind, case_id, payload, created_at, run_at, attempts, locked_until, last_error, finished_at, outcome
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (run_at) WHERE finished_at IS NULL;
CREATE INDEX jobs_case ON jobs (case_id);
CREATE INDEX jobs_failed ON jobs (finished_at) WHERE outcome = 'failed';
