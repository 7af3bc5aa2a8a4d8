-- An event recorded over the API under an Idempotency-Key: the key (scoped to the token) and
-- the request's digest, so that a retry answers the first result and records nothing more.
ALTER TABLE case_events ADD COLUMN request_key TEXT;
ALTER TABLE case_events ADD COLUMN request_digest TEXT;
CREATE UNIQUE INDEX case_events_request_key ON case_events (request_key) WHERE request_key IS NOT NULL;
