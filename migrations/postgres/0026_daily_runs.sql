-- Work done once a day by whichever replica comes first (the morning digests and reminders):
-- the day is claimed in the transaction that writes the day's jobs.
CREATE TABLE daily_runs (
    name TEXT NOT NULL,
    day TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (name, day)
);
