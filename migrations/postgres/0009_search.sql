-- Full-text search over a case's registry number, subject, text and the person's name. The
-- text is folded in Rust before it is stored (Cyrillic written in Latin letters by the
-- Bulgarian transliteration law, lower case, no accents), and so is every query, so that
-- «Иванова», «ivanova» and «IVANOVA» find each other.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_search ON cases USING GIN (to_tsvector('simple', search_text));
