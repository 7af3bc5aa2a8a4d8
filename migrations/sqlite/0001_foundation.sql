-- The foundation: the administration, its units and staff, API tokens, parties, cases with their
-- append-only events, gapless registry counters, calendar decisions and the audit trail.
-- Times are UTC Unix milliseconds (INTEGER), dates are 'YYYY-MM-DD' text: both sort correctly.

CREATE TABLE administration (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    code TEXT NOT NULL,
    charter TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name_bg TEXT NOT NULL,
    name_en TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    employee_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_code TEXT REFERENCES units (code),
    email TEXT,
    phone TEXT,
    password_hash TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_code TEXT REFERENCES units (code),
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE parties (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address TEXT,
    preferred_channel TEXT,
    -- ЕГН or ЛНЧ: encrypted (never in clear), a keyed blind index for look-up, and a masked form.
    national_id_kind TEXT CHECK (national_id_kind IN ('egn', 'lnch')),
    national_id_sealed BLOB,
    national_id_index TEXT,
    national_id_masked TEXT,
    eik TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX parties_national_id_index ON parties (national_id_index) WHERE national_id_index IS NOT NULL;

CREATE TABLE registry_counters (
    register TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (register, year)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    -- Rendered from (register, year, seq), which are unique together and used to look it up.
    registry_number TEXT NOT NULL,
    register TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body TEXT NOT NULL,
    party_id INTEGER NOT NULL REFERENCES parties (id),
    unit_code TEXT NOT NULL REFERENCES units (code),
    responsible_id INTEGER REFERENCES staff (id),
    state TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    original_due TEXT NOT NULL,
    extended_due TEXT,
    due TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (register, year, seq)
);
CREATE INDEX cases_state_due ON cases (state, due);
CREATE INDEX cases_unit_state_due ON cases (unit_code, state, due);
CREATE INDEX cases_due ON cases (due, id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    n INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (case_id, n)
);

CREATE TABLE calendar_decisions (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('day_off', 'working_day')),
    number TEXT,
    decided_on TEXT,
    note TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL
);

-- Bumped by every change to calendar_decisions, so every replica notices and reloads.
CREATE TABLE calendar_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO calendar_version (id, version) VALUES (1, 0);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
