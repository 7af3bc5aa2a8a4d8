-- The inbox lists open cases soonest due first, for one unit or for all: partial indexes over
-- the open cases give that order directly, however many closed cases there are.
CREATE INDEX cases_open_unit_due ON cases (unit_code, due, id)
    WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested');
CREATE INDEX cases_open_due ON cases (due, id)
    WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested');
