-- A service request names its service and tier (its deadline and unit follow from them), and
-- any case may have been received on a day before it was keyed in (the post of Friday,
-- registered on Monday): NULL means the day of registration.
ALTER TABLE cases ADD COLUMN service_code TEXT;
ALTER TABLE cases ADD COLUMN service_tier TEXT;
ALTER TABLE cases ADD COLUMN received_on TEXT;
