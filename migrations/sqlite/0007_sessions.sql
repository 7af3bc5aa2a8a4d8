-- Staff sessions, in the database so that every replica knows them and an administrator can
-- revoke one. The cookie holds a random token; only its SHA-256 is stored. Each session has
-- its own anti-forgery token for the forms of the staff workspace.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    csrf TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Failed sign-ins per login, so that a lock-out holds across replicas.
CREATE TABLE sign_in_failures (
    login TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    since INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);
