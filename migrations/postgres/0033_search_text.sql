-- Cases stored before the folded text was kept (migration 0009) are filled in at start, found
-- by a partial index over the cases still without it, which is empty once they are (instead
-- of a scan of every case at every start).
CREATE INDEX cases_unsearched ON cases (id) WHERE search_text = '';
