-- Citizens follow their case online with its registry number and an access code. Only a keyed
-- digest of the code is stored. A submission key makes a web form submitted twice (a reload, a
-- double click) register one case: the second attempt finds the first.
ALTER TABLE cases ADD COLUMN access_digest TEXT;
ALTER TABLE cases ADD COLUMN submission_key TEXT;
CREATE UNIQUE INDEX cases_submission_key ON cases (submission_key) WHERE submission_key IS NOT NULL;
