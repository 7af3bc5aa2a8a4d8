//! The outbox: work that must happen after the change that causes it (send an e-mail), written
//! in the same transaction as that change so that it is never lost nor done for a change that
//! rolled back. Workers on any replica claim due jobs for a lease (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer); a worker that dies loses its lease and another takes the
//! job again, so a job is done at least once.

use harta_domain::case::{Actor, CaseEvent};
use jiff::{SignedDuration, Timestamp};
use sqlx::Row;

use crate::rows::{millis, timestamp};
use crate::{Db, Result, StoreError, on_db};

/// Claims due rows: not finished, due, and not under another worker's live lease.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET locked_until = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM jobs WHERE finished_at IS NULL AND run_at <= $1
                            AND (locked_until IS NULL OR locked_until <= $1)
                          ORDER BY run_at LIMIT $3",
            $lock,
            ") RETURNING id, kind, case_id, payload, attempts"
        )
    };
}

/// A job to write with the change that causes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// What to do (`acknowledge`…), for the worker and for operators reading the table.
    pub kind: String,
    /// Its details, as JSON, in the caller's own shape.
    pub payload: String,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// What to do.
    pub kind: String,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// Its details.
    pub payload: String,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
}

/// A job as the record shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// What it was.
    pub kind: String,
    /// When it was written.
    pub created_at: Timestamp,
    /// How many times it was tried.
    pub attempts: i64,
    /// When it finished, if it has.
    pub finished_at: Option<Timestamp>,
    /// `done` or `failed`, once finished.
    pub outcome: Option<String>,
    /// The last error, if any attempt failed.
    pub last_error: Option<String>,
}

/// The job table.
#[derive(Debug, Clone)]
pub struct Jobs {
    db: Db,
}

impl Jobs {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Claims up to `limit` due jobs, oldest first, for `lease`: until then no other worker
    /// takes them.
    pub async fn claim(&self, now: Timestamp, lease: SignedDuration, limit: i64) -> Result<Vec<Job>> {
        let until = millis(now + lease);
        let sql = match self.db {
            Db::Sqlite(_) => claim_sql!(""),
            Db::Postgres(_) => claim_sql!(" FOR UPDATE SKIP LOCKED"),
        };
        on_db!(&self.db, |pool| {
            let rows = sqlx::query(sql).bind(millis(now)).bind(until).bind(limit).fetch_all(pool).await?;
            let mut jobs = rows
                .iter()
                .map(|row| {
                    Ok(Job {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        case_id: row.try_get("case_id")?,
                        payload: row.try_get("payload")?,
                        attempts: row.try_get("attempts")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            jobs.sort_by_key(|j| j.id);
            Ok(jobs)
        })
    }

    /// Marks a job done (`outcome` `done`) or given up (`failed`, with the reason), recording
    /// `event` on its case in the same transaction. The payload is emptied: it may hold a
    /// secret (an access code, sealed) that nobody needs once the job is over.
    pub async fn finish(
        &self,
        job: &Job,
        now: Timestamp,
        failure: Option<&str>,
        event: Option<(&Actor, &CaseEvent)>,
    ) -> Result<()> {
        let outcome = if failure.is_some() { "failed" } else { "done" };
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE jobs SET finished_at = $1, outcome = $2, last_error = COALESCE($3, last_error),
                    locked_until = NULL, payload = '{}' WHERE id = $4",
            )
            .bind(millis(now))
            .bind(outcome)
            .bind(failure)
            .bind(job.id)
            .execute(&mut *tx)
            .await?;
            if let (Some(case_id), Some((actor, event))) = (job.case_id, event) {
                let (state, n) = replay_case!(&mut *tx, case_id);
                let state = state.map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let next = state.apply(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                insert_event!(&mut *tx, case_id, n, now, actor, event);
                if next != state {
                    update_row!(&mut *tx, case_id, &next, now);
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Puts a job back to be tried again at `run_at`, noting why this attempt failed.
    pub async fn retry(&self, job: &Job, run_at: Timestamp, error: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE jobs SET run_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(millis(run_at))
                .bind(error)
                .bind(job.id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The jobs of a case, oldest first.
    pub async fn of_case(&self, case_id: i64) -> Result<Vec<JobRecord>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT kind, created_at, attempts, finished_at, outcome, last_error FROM jobs
                 WHERE case_id = $1 ORDER BY id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(JobRecord {
                        kind: row.try_get("kind")?,
                        created_at: timestamp(row.try_get("created_at")?)?,
                        attempts: row.try_get("attempts")?,
                        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(timestamp).transpose()?,
                        outcome: row.try_get("outcome")?,
                        last_error: row.try_get("last_error")?,
                    })
                })
                .collect()
        })
    }

    /// How many jobs wait (not finished), for health and metrics.
    pub async fn waiting(&self) -> Result<i64> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE finished_at IS NULL").fetch_one(pool).await?)
        })
    }
}
