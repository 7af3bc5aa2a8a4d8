-- A search for a common word reads the cases in the list's order and keeps those whose folded
-- text has the word, so that it reads about as many cases as its page needs (the full-text
-- index hands back its matches in no useful order, all of them). For that the folded text is
-- kept beside the case, as on PostgreSQL. Cases stored before it are filled in at start, found
-- by the partial index over the cases still without it (empty once they are).
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_unsearched ON cases (id) WHERE search_text = '';
