-- The inbox lists open cases soonest due first, for one unit or for all: partial indexes over
-- the open cases give that order directly, however many closed cases there are.
CREATE INDEX cases_open_unit_due ON cases (unit_code, due, id)
    WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested');
CREATE INDEX cases_open_due ON cases (due, id)
    WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested');

-- The search vector is stored, not recomputed per row, so that a search within a unit's open
-- cases can check each of them cheaply instead of fetching every match in the store.
ALTER TABLE cases ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;
DROP INDEX cases_search;
CREATE INDEX cases_search_vector ON cases USING GIN (search_vector);
