-- "Open and overdue now" per unit and responsible officer (the management dashboard) is read
-- from the indexes on state and due date alone: they carry the unit and the officer.
DROP INDEX cases_state_due;
CREATE INDEX cases_state_due ON cases (state, due, unit_code, responsible_id);
DROP INDEX cases_unit_state_due;
CREATE INDEX cases_unit_state_due ON cases (unit_code, state, due, responsible_id);
