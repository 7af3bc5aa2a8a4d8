-- Full-text search over a case's registry number, subject, text and the person's name. The
-- text is folded in Rust before it is indexed (Cyrillic written in Latin letters by the
-- Bulgarian transliteration law, lower case, no accents), and so is every query, so that
-- «Иванова», «ivanova» and «IVANOVA» find each other. The index holds no copy of the text.
CREATE VIRTUAL TABLE cases_fts USING fts5 (text, content = '', tokenize = 'unicode61 remove_diacritics 2');
