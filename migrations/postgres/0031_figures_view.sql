-- What a case counts for, as in 0029, with the working days joined rather than looked up case
-- by case: a planner may then read the calendar once for many cases (PostgreSQL does, for the
-- days of a month that a period covers in part), and still by its key for one.
DROP VIEW case_figures;
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
        ELSE GREATEST(COALESCE(upto.n - since.n, 0), 0) END AS days,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested') THEN 'open'
        WHEN c.state IN ('withdrawn', 'forwarded') THEN c.state
        ELSE 'settled' END AS standing,
    CASE WHEN c.state IN ('registered', 'assigned', 'in_progress', 'information_requested')
        THEN COALESCE(c.extended_due, c.original_due) ELSE '' END AS due
FROM cases c
CROSS JOIN (SELECT 'all' AS dim UNION ALL SELECT 'unit' UNION ALL SELECT 'channel' UNION ALL SELECT 'service') d
CROSS JOIN (SELECT CAST(0 AS BIGINT) AS holding UNION ALL SELECT 1) h
LEFT JOIN working_days since ON since.day = c.received_on
LEFT JOIN working_days upto ON upto.day = CASE h.holding WHEN 1 THEN c.held_on ELSE c.answered_on END
WHERE c.received_on IS NOT NULL AND (h.holding = 0 OR c.held_on IS NOT NULL);
