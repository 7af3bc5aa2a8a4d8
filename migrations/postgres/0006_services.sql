-- The service catalogue as edited by staff. Filled from the catalogue file on first start;
-- from then on this table is the catalogue (each service stored as JSON in the file's shape).
CREATE TABLE services (
    code TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    -- Grows with every edit, so that replicas notice one (see Services::version).
    revision BIGINT NOT NULL DEFAULT 1
);
