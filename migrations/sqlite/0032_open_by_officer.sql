-- "Open and overdue now" per unit and responsible officer (the management dashboard) is counted
-- from a partial index over the open cases alone, in the order of its grouping: the count
-- streams through the index, group by group, however many cases are closed.
CREATE INDEX cases_open_unit_officer ON cases (unit_code, responsible_id, due)
    WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested');
