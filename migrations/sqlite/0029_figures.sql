-- The charter's figures kept added up per month of receipt, so that a year or a decade of them
-- is read from a few thousand rows instead of from every case (harta_domain::performance).
--
-- What one case counts for is defined once, by the view case_figures; the table figures holds
-- the view's rows added up, kept so by the triggers below in the transaction that changes a
-- case, and rebuilt from the view by the store whenever it cannot vouch for it.

-- The calendar in the database's reach: n is the number of working days from the calendar's
-- first day up to and including `day`, so that the working days after a day A up to and
-- including a day B are n(B) - n(A). Written by the store from the calendar in force (with the
-- Council of Ministers' decisions) for the calendar_version it names.
CREATE TABLE working_days (day TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE working_days_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);

-- Each case counts, per way of grouping (dim: all, unit, channel, service, with its key), for
-- the commitment of its kind (holding = 0) and, once it had a holding reply, for the holding
-- reply's (holding = 1): how its answer (or its holding reply) kept the promise, after how
-- many working days, and whether it is open (with the date in force), withdrawn or forwarded.
-- An answer keyed in before the day it is dated took no working days, not fewer. These are
-- harta_domain::performance::CaseFacts::contributions; a test holds the two together.
CREATE VIEW case_figures AS
SELECT c.id AS case_id,
    d.dim,
    CASE d.dim WHEN 'all' THEN '' WHEN 'unit' THEN c.unit_code WHEN 'channel' THEN c.channel
        ELSE COALESCE(c.service_code, '') END AS key,
    c.received_on,
    substr(c.received_on, 1, 7) AS month,
    c.kind,
    h.holding,
    CASE WHEN h.holding = 1 THEN CASE WHEN c.held_on <= c.original_due THEN 'on_time' ELSE 'late' END
        WHEN c.answered_on IS NULL THEN ''
        WHEN c.answered_on <= c.original_due THEN 'on_time'
        WHEN c.answered_on <= c.extended_due AND c.held_on <= c.original_due THEN 'on_time_with_holding_reply'
        ELSE 'late' END AS answer,
    CASE WHEN h.holding = 0 AND c.answered_on IS NULL THEN 0
        ELSE MAX(COALESCE((SELECT n FROM working_days WHERE day = CASE h.holding WHEN 1 THEN c.held_on ELSE c.answered_on END)
            - (SELECT n FROM working_days WHERE day = c.received_on), 0), 0) END AS days,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested') THEN 'open'
        WHEN c.state IN ('withdrawn', 'forwarded') THEN c.state
        ELSE 'settled' END AS standing,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested')
        THEN COALESCE(c.extended_due, c.original_due) ELSE '' END AS due
FROM cases c
CROSS JOIN (SELECT 'all' AS dim UNION ALL SELECT 'unit' UNION ALL SELECT 'channel' UNION ALL SELECT 'service') d
CROSS JOIN (SELECT 0 AS holding UNION ALL SELECT 1) h
WHERE c.received_on IS NOT NULL AND (h.holding = 0 OR c.held_on IS NOT NULL);

-- The view's rows added up per month of receipt; every reading asks for a range of months.
CREATE TABLE figures (
    dim TEXT NOT NULL,
    key TEXT NOT NULL,
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    holding INTEGER NOT NULL,
    answer TEXT NOT NULL,
    days INTEGER NOT NULL,
    standing TEXT NOT NULL,
    due TEXT NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (dim, month, key, kind, holding, answer, days, standing, due)
) WITHOUT ROWID;

-- While the marker 'figures' waits in backfills (after this migration, during a bulk load) the
-- figures are not kept case by case: the store adds them all up at once when it is removed.
CREATE TRIGGER cases_figures_insert AFTER INSERT ON cases
WHEN NOT EXISTS (SELECT 1 FROM backfills WHERE name = 'figures')
BEGIN
    INSERT INTO figures (dim, key, month, kind, holding, answer, days, standing, due, cases)
    SELECT dim, key, month, kind, holding, answer, days, standing, due, 1 FROM case_figures WHERE case_id = NEW.id
    ON CONFLICT (dim, key, month, kind, holding, answer, days, standing, due)
    DO UPDATE SET cases = figures.cases + excluded.cases;
END;

-- Before the row changes, what it counted for is taken off; after, what it counts for is added.
CREATE TRIGGER cases_figures_before_update BEFORE UPDATE ON cases
WHEN (OLD.state IS NOT NEW.state OR OLD.original_due IS NOT NEW.original_due
    OR OLD.extended_due IS NOT NEW.extended_due OR OLD.held_on IS NOT NEW.held_on
    OR OLD.answered_on IS NOT NEW.answered_on OR OLD.received_on IS NOT NEW.received_on
    OR OLD.kind IS NOT NEW.kind OR OLD.unit_code IS NOT NEW.unit_code OR OLD.channel IS NOT NEW.channel
    OR OLD.service_code IS NOT NEW.service_code)
    AND NOT EXISTS (SELECT 1 FROM backfills WHERE name = 'figures')
BEGIN
    INSERT INTO figures (dim, key, month, kind, holding, answer, days, standing, due, cases)
    SELECT dim, key, month, kind, holding, answer, days, standing, due, -1 FROM case_figures WHERE case_id = OLD.id
    ON CONFLICT (dim, key, month, kind, holding, answer, days, standing, due)
    DO UPDATE SET cases = figures.cases + excluded.cases;
END;

CREATE TRIGGER cases_figures_after_update AFTER UPDATE ON cases
WHEN (OLD.state IS NOT NEW.state OR OLD.original_due IS NOT NEW.original_due
    OR OLD.extended_due IS NOT NEW.extended_due OR OLD.held_on IS NOT NEW.held_on
    OR OLD.answered_on IS NOT NEW.answered_on OR OLD.received_on IS NOT NEW.received_on
    OR OLD.kind IS NOT NEW.kind OR OLD.unit_code IS NOT NEW.unit_code OR OLD.channel IS NOT NEW.channel
    OR OLD.service_code IS NOT NEW.service_code)
    AND NOT EXISTS (SELECT 1 FROM backfills WHERE name = 'figures')
BEGIN
    INSERT INTO figures (dim, key, month, kind, holding, answer, days, standing, due, cases)
    SELECT dim, key, month, kind, holding, answer, days, standing, due, 1 FROM case_figures WHERE case_id = NEW.id
    ON CONFLICT (dim, key, month, kind, holding, answer, days, standing, due)
    DO UPDATE SET cases = figures.cases + excluded.cases;
END;

CREATE TRIGGER cases_figures_delete BEFORE DELETE ON cases
WHEN NOT EXISTS (SELECT 1 FROM backfills WHERE name = 'figures')
BEGIN
    INSERT INTO figures (dim, key, month, kind, holding, answer, days, standing, due, cases)
    SELECT dim, key, month, kind, holding, answer, days, standing, due, -1 FROM case_figures WHERE case_id = OLD.id
    ON CONFLICT (dim, key, month, kind, holding, answer, days, standing, due)
    DO UPDATE SET cases = figures.cases + excluded.cases;
END;

-- The store fills working_days and figures at its next start (they need the calendar), and
-- removes the marker.
INSERT INTO backfills (name) VALUES ('figures');
