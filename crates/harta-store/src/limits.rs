//! Counts within fixed time windows, kept in the store so that quotas and throttles hold
//! across replicas: online submissions per address, refused tracking attempts per address and
//! per registry number.

use jiff::{SignedDuration, Timestamp};

use crate::{Db, Result, on_db};

/// A key counted within a window: what is counted and the window's start (UTC ms).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bucket {
    /// What is counted (`submit 10.0.0.1`, `track-number РКС26-ГР94-15`).
    pub key: String,
    /// The start of the window, UTC milliseconds.
    pub window_start: i64,
}

impl Bucket {
    /// The bucket of `key` for the window of length `window` that holds `now`.
    pub fn at(key: String, now: Timestamp, window: SignedDuration) -> Self {
        let length = window.as_millis().max(1) as i64;
        let ms = now.as_millisecond();
        Self { key, window_start: ms - ms.rem_euclid(length) }
    }
}

/// A bucket with the most it may hold: a quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    /// What is counted.
    pub bucket: Bucket,
    /// The most it may reach.
    pub limit: i64,
}

/// Adds `n` to a bucket inside a transaction. A macro so that it runs on either backend's.
macro_rules! add_to_bucket {
    ($ex:expr, $bucket:expr, $n:expr) => {{
        let bucket: &$crate::limits::Bucket = $bucket;
        sqlx::query(
            "INSERT INTO rate_counts (bucket, window_start, count) VALUES ($1, $2, $3)
             ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counts.count + $3",
        )
        .bind(&bucket.key)
        .bind(bucket.window_start)
        .bind($n)
        .execute($ex)
        .await
        .map_err($crate::StoreError::from)?;
    }};
}
pub(crate) use add_to_bucket;

/// The counts.
#[derive(Debug, Clone)]
pub struct Limits {
    db: Db,
}

impl Limits {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// How many were counted in a bucket.
    pub async fn count(&self, bucket: &Bucket) -> Result<i64> {
        on_db!(read & self.db, |pool| {
            let n: Option<i64> =
                sqlx::query_scalar("SELECT count FROM rate_counts WHERE bucket = $1 AND window_start = $2")
                    .bind(&bucket.key)
                    .bind(bucket.window_start)
                    .fetch_optional(pool)
                    .await?;
            Ok(n.unwrap_or(0))
        })
    }

    /// Counts one more in each bucket, in one transaction.
    pub async fn add(&self, buckets: &[Bucket]) -> Result<()> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for bucket in buckets {
                add_to_bucket!(&mut *tx, bucket, 1i64);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Adds `n` to a bucket and returns its new total, in one statement, so that concurrent
    /// takers each see a different total and cannot all pass a check made before any counted.
    pub async fn take(&self, bucket: &Bucket, n: i64) -> Result<i64> {
        on_db!(&self.db, |pool| {
            Ok(sqlx::query_scalar(
                "INSERT INTO rate_counts (bucket, window_start, count) VALUES ($1, $2, $3)
                 ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counts.count + $3
                 RETURNING count",
            )
            .bind(&bucket.key)
            .bind(bucket.window_start)
            .bind(n)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The buckets whose key starts with `prefix`, counted in windows that started at or after
    /// `since` (UTC ms), with their totals: what is being throttled now.
    pub async fn list(&self, prefix: &str, since: i64) -> Result<Vec<(Bucket, i64)>> {
        on_db!(read & self.db, |pool| {
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT bucket, window_start, count FROM rate_counts
                 WHERE substr(bucket, 1, length($1)) = $1 AND window_start >= $2 ORDER BY bucket, window_start",
            )
            .bind(prefix)
            .bind(since)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(key, window_start, n)| (Bucket { key, window_start }, n)).collect())
        })
    }

    /// Forgets every count of the buckets whose key starts with `prefix`.
    pub async fn clear(&self, prefix: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("DELETE FROM rate_counts WHERE substr(bucket, 1, length($1)) = $1")
                .bind(prefix)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Deletes the windows that started before `before`; returns how many.
    pub async fn sweep(&self, before: Timestamp) -> Result<u64> {
        on_db!(&self.db, |pool| {
            let done = sqlx::query("DELETE FROM rate_counts WHERE window_start < $1")
                .bind(before.as_millisecond())
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
