-- A case registered over the API with an Idempotency-Key keeps the digest of the request that
-- registered it: a retry with the same key and body answers the first result, the same key
-- with another body is refused.
ALTER TABLE cases ADD COLUMN request_digest TEXT;
