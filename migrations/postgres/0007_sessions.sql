-- Staff sessions, in the database so that every replica knows them and an administrator can
-- revoke one. The cookie holds a random token; only its SHA-256 is stored. Each session has
-- its own anti-forgery token for the forms of the staff workspace.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    csrf TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_staff ON sessions (staff_id);

-- Failed sign-ins per login, so that a lock-out holds across replicas.
CREATE TABLE sign_in_failures (
    login TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    since BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);
