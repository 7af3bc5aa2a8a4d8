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
CREATE TABLE working_days (day TEXT PRIMARY KEY, n BIGINT NOT NULL);
CREATE TABLE working_days_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);

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
        ELSE GREATEST(COALESCE((SELECT n FROM working_days WHERE day = CASE h.holding WHEN 1 THEN c.held_on ELSE c.answered_on END)
            - (SELECT n FROM working_days WHERE day = c.received_on), 0), 0) END AS days,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested') THEN 'open'
        WHEN c.state IN ('withdrawn', 'forwarded') THEN c.state
        ELSE 'settled' END AS standing,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested')
        THEN COALESCE(c.extended_due, c.original_due) ELSE '' END AS due
FROM cases c
CROSS JOIN (SELECT 'all' AS dim UNION ALL SELECT 'unit' UNION ALL SELECT 'channel' UNION ALL SELECT 'service') d
CROSS JOIN (SELECT CAST(0 AS BIGINT) AS holding UNION ALL SELECT 1) h
WHERE c.received_on IS NOT NULL AND (h.holding = 0 OR c.held_on IS NOT NULL);

-- The view's rows added up per month of receipt; every reading asks for a range of months.
CREATE TABLE figures (
    dim TEXT NOT NULL,
    key TEXT NOT NULL,
    month TEXT NOT NULL,
    kind TEXT NOT NULL,
    holding BIGINT NOT NULL,
    answer TEXT NOT NULL,
    days BIGINT NOT NULL,
    standing TEXT NOT NULL,
    due TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (dim, month, key, kind, holding, answer, days, standing, due)
);

-- One function adds (sign 1) or takes off (sign -1) what the given cases count for. While the
-- marker 'figures' waits in backfills (after this migration, during a bulk load) the figures
-- are not kept case by case: the store adds them all up at once when it is removed.
CREATE FUNCTION add_case_figures(ids BIGINT[], sign BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO figures (dim, key, month, kind, holding, answer, days, standing, due, cases)
    SELECT dim, key, month, kind, holding, answer, days, standing, due, sign * COUNT(*) FROM case_figures
    WHERE case_id = ANY (ids) AND NOT EXISTS (SELECT 1 FROM backfills WHERE name = 'figures')
    GROUP BY dim, key, month, kind, holding, answer, days, standing, due
    ORDER BY dim, key, month, kind, holding, answer, days, standing, due
    ON CONFLICT (dim, key, month, kind, holding, answer, days, standing, due)
    DO UPDATE SET cases = figures.cases + excluded.cases
$$;

-- A registration batch is one statement: its cases are added up in one go.
CREATE FUNCTION cases_figures_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_case_figures(ARRAY(SELECT id FROM inserted), 1);
    RETURN NULL;
END $$;
CREATE TRIGGER cases_figures_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION cases_figures_inserted();

-- Before the row changes, what it counted for is taken off; after, what it counts for is added.
CREATE FUNCTION cases_figures_take_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_case_figures(ARRAY[OLD.id], -1);
    -- What a BEFORE trigger returns is what is written: the change itself, untouched.
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE FUNCTION cases_figures_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM add_case_figures(ARRAY[NEW.id], 1);
    RETURN NULL;
END $$;
CREATE TRIGGER cases_figures_before_update BEFORE UPDATE ON cases FOR EACH ROW
WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.original_due IS DISTINCT FROM NEW.original_due
    OR OLD.extended_due IS DISTINCT FROM NEW.extended_due OR OLD.held_on IS DISTINCT FROM NEW.held_on
    OR OLD.answered_on IS DISTINCT FROM NEW.answered_on OR OLD.received_on IS DISTINCT FROM NEW.received_on
    OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.unit_code IS DISTINCT FROM NEW.unit_code
    OR OLD.channel IS DISTINCT FROM NEW.channel OR OLD.service_code IS DISTINCT FROM NEW.service_code)
    EXECUTE FUNCTION cases_figures_take_off();
CREATE TRIGGER cases_figures_after_update AFTER UPDATE ON cases FOR EACH ROW
WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.original_due IS DISTINCT FROM NEW.original_due
    OR OLD.extended_due IS DISTINCT FROM NEW.extended_due OR OLD.held_on IS DISTINCT FROM NEW.held_on
    OR OLD.answered_on IS DISTINCT FROM NEW.answered_on OR OLD.received_on IS DISTINCT FROM NEW.received_on
    OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.unit_code IS DISTINCT FROM NEW.unit_code
    OR OLD.channel IS DISTINCT FROM NEW.channel OR OLD.service_code IS DISTINCT FROM NEW.service_code)
    EXECUTE FUNCTION cases_figures_add();
CREATE TRIGGER cases_figures_delete BEFORE DELETE ON cases FOR EACH ROW EXECUTE FUNCTION cases_figures_take_off();

-- The store fills working_days and figures at its next start (they need the calendar), and
-- removes the marker.
INSERT INTO backfills (name) VALUES ('figures');
