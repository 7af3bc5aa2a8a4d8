-- Auditors look up the trail by subject (a case, a login) and by actor.
CREATE INDEX audit_log_subject ON audit_log (subject, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
