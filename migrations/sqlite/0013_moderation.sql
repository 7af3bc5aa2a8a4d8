-- Staff moderate the suggestions whose authors agreed to publication: few among all cases.
CREATE INDEX cases_publish_consent ON cases (received_at) WHERE publish_consent;
