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
            ") RETURNING id, kind, case_id, delivery_id, payload, attempts"
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
    /// The letter's delivery it does, if it delivers one.
    pub delivery_id: Option<i64>,
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

/// Which jobs an administrator lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFilter {
    /// Given up (failed for good).
    Failed,
    /// Not finished: due, or waiting to be tried again.
    Waiting,
    /// All, newest first.
    All,
}

/// A job as an administrator lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLine {
    /// Its id.
    pub id: i64,
    /// What it does.
    pub kind: String,
    /// The registry number of its case, if any.
    pub registry_number: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it is (or was) next due.
    pub run_at: Timestamp,
    /// How many times it was tried.
    pub attempts: i64,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// `done`, `failed` or `cancelled`, once finished.
    pub outcome: Option<String>,
    /// The last error.
    pub last_error: Option<String>,
}

/// Why an administrator's retry or cancel did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobRefusal {
    /// There is no such job.
    Missing,
    /// Only a failed job is retried, only an unfinished one cancelled.
    WrongState,
    /// A failed acknowledgement's access code is not kept, so it cannot be sent again.
    SecretGone,
    /// Another channel was chosen for the letter since: retrying would deliver it twice.
    Superseded,
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
                        delivery_id: row.try_get("delivery_id")?,
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
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            finish_job!(&mut *tx, job.id, now, failure);
            if let (Some(case_id), Some((actor, event))) = (job.case_id, event) {
                lock_case!(&mut *tx, case_id);
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

    /// Claims the day's run of `name` and writes its jobs (each with its case, if any) in one
    /// transaction; `false`, with nothing written, when another replica has claimed the day.
    pub async fn schedule_daily(
        &self,
        name: &str,
        day: jiff::civil::Date,
        at: Timestamp,
        jobs: &[(Option<i64>, NewJob)],
    ) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let claimed =
                sqlx::query("INSERT INTO daily_runs (name, day, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(name)
                    .bind(crate::rows::day(day))
                    .bind(millis(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if claimed == 0 {
                return Ok(false);
            }
            for (case_id, job) in jobs {
                sqlx::query(
                    "INSERT INTO jobs (case_id, kind, payload, created_at, run_at) VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(case_id)
                .bind(&job.kind)
                .bind(&job.payload)
                .bind(millis(at))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Jobs for an administrator, newest first (at most `limit`).
    pub async fn list(&self, filter: JobFilter, limit: i64) -> Result<Vec<JobLine>> {
        macro_rules! select {
            ($condition:literal) => {
                concat!(
                    "SELECT j.id, j.kind, c.registry_number, j.created_at, j.run_at, j.attempts, j.finished_at,
                            j.outcome, j.last_error
                     FROM jobs j LEFT JOIN cases c ON c.id = j.case_id WHERE ",
                    $condition,
                    " ORDER BY j.id DESC LIMIT $1"
                )
            };
        }
        let sql = match filter {
            JobFilter::Failed => select!("j.outcome = 'failed'"),
            JobFilter::Waiting => select!("j.finished_at IS NULL"),
            JobFilter::All => select!("1 = 1"),
        };
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(sql).bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(JobLine {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        registry_number: row.try_get("registry_number")?,
                        created_at: timestamp(row.try_get("created_at")?)?,
                        run_at: timestamp(row.try_get("run_at")?)?,
                        attempts: row.try_get("attempts")?,
                        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(timestamp).transpose()?,
                        outcome: row.try_get("outcome")?,
                        last_error: row.try_get("last_error")?,
                    })
                })
                .collect()
        })
    }

    /// Puts a failed job back to run now, with its delivery waiting again. Refused for a
    /// failed acknowledgement (its sealed access code was emptied) and for a delivery whose
    /// letter has gone another way since.
    pub async fn retry_now(&self, id: i64, now: Timestamp) -> Result<std::result::Result<(), JobRefusal>> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let row: Option<(Option<String>, Option<i64>)> =
                sqlx::query_as("SELECT outcome, delivery_id FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((outcome, delivery)) = row else { return Ok(Err(JobRefusal::Missing)) };
            if outcome.as_deref() != Some("failed") {
                return Ok(Err(JobRefusal::WrongState));
            }
            // Only a delivery's job can run again: an acknowledgement's payload was emptied.
            let Some(delivery) = delivery else { return Ok(Err(JobRefusal::SecretGone)) };
            let later: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries d JOIN deliveries e ON e.case_id = d.case_id
                   AND e.letter_n = d.letter_n AND e.id > d.id WHERE d.id = $1",
            )
            .bind(delivery)
            .fetch_one(&mut *tx)
            .await?;
            if later > 0 {
                return Ok(Err(JobRefusal::Superseded));
            }
            sqlx::query(
                "UPDATE jobs SET finished_at = NULL, outcome = NULL, run_at = $1, locked_until = NULL, attempts = 0
                 WHERE id = $2",
            )
            .bind(millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE deliveries SET state = 'pending', finished_at = NULL, detail = NULL WHERE id = $1")
                .bind(delivery)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// Cancels a job that has not finished. A letter's delivery it was doing fails with
    /// `reason`, recorded on the case, so that the letter shows as not delivered.
    pub async fn cancel(
        &self,
        id: i64,
        now: Timestamp,
        actor: &Actor,
        reason: &str,
    ) -> Result<std::result::Result<(), JobRefusal>> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let row: Option<(Option<i64>, Option<i64>, Option<i64>)> =
                sqlx::query_as("SELECT finished_at, case_id, delivery_id FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((finished, case_id, delivery)) = row else { return Ok(Err(JobRefusal::Missing)) };
            if finished.is_some() {
                return Ok(Err(JobRefusal::WrongState));
            }
            sqlx::query(
                "UPDATE jobs SET finished_at = $1, outcome = 'cancelled', last_error = $2, locked_until = NULL,
                    payload = '{}' WHERE id = $3",
            )
            .bind(millis(now))
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if let (Some(case_id), Some(delivery)) = (case_id, delivery) {
                let changed = sqlx::query(
                    "UPDATE deliveries SET state = 'failed', finished_at = $1, detail = $2
                     WHERE id = $3 AND state = 'pending'",
                )
                .bind(millis(now))
                .bind(reason)
                .bind(delivery)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed > 0 {
                    let (number, channel): (String, String) = sqlx::query_as(
                        "SELECT l.number, d.channel FROM deliveries d
                         JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n WHERE d.id = $1",
                    )
                    .bind(delivery)
                    .fetch_one(&mut *tx)
                    .await?;
                    let channel = crate::rows::parse("channel", &channel, harta_domain::case::PreferredChannel::parse)?;
                    let event = CaseEvent::LetterNotDelivered { number, channel, reason: reason.to_string() };
                    lock_case!(&mut *tx, case_id);
                    let n = next_event_n!(&mut *tx, case_id);
                    insert_event!(&mut *tx, case_id, n, now, actor, &event);
                }
            }
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// How many jobs wait (not finished), for health and metrics.
    pub async fn waiting(&self) -> Result<i64> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE finished_at IS NULL").fetch_one(pool).await?)
        })
    }
}
