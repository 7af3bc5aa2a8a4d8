-- The facts the figures of the charter's scorecard count (harta_domain::performance), kept in
-- each case's row and written in the transaction that changes the case: the day its first
-- holding reply was sent and the day it was answered. The day of receipt (received_on) is now
-- written for every case, not only for one received before it was registered; the store fills
-- it, and the two new columns, for the cases registered before this migration.
ALTER TABLE cases ADD COLUMN held_on TEXT;
ALTER TABLE cases ADD COLUMN answered_on TEXT;
-- The figures read a period's cases by their day of receipt from this index alone, and group
-- them in its order (the facts first, then the unit or the service), so without a sort.
CREATE INDEX cases_performance ON cases (received_on, kind, state, original_due, extended_due, held_on,
    answered_on, unit_code, service_code, channel);
-- Work the store does in Rust once a migration has run (here: filling the facts above for the
-- cases already stored, which needs Sofia's time zone); each row is removed when it is done.
CREATE TABLE backfills (name TEXT PRIMARY KEY);
INSERT INTO backfills (name) VALUES ('performance');
