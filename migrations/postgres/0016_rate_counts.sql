-- Quotas and throttles that hold across replicas: online submissions per address per hour,
-- refused tracking attempts per address and per registry number per quarter hour. One row per
-- key and window; old windows are swept hourly.
CREATE TABLE rate_counts (
    bucket TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
