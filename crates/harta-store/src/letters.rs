//! Outgoing letters as issued: numbered per case, stored with their texts, contact block, HTML
//! and PDF, and recorded in the case's history in the same transaction.

use harta_domain::case::{Actor, CaseEvent};
use harta_domain::letters::{ContactBlock, LetterKind};
use jiff::Timestamp;
use sqlx::Row;

use crate::bulk::to_json;
use crate::rows::{millis, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

/// A letter to store, written and rendered under the number [`Letters::next_number`] gave.
#[derive(Debug, Clone)]
pub struct NewLetter {
    /// Its place among the case's letters, from 1.
    pub n: i64,
    /// Its outgoing number.
    pub number: String,
    /// What it is.
    pub kind: LetterKind,
    /// Its subject.
    pub subject: String,
    /// Its main text.
    pub body: String,
    /// What the person needs to do next.
    pub next_steps: String,
    /// Who wrote it and how to reach them.
    pub contact: ContactBlock,
    /// A refusal's sentence on where and within what time it can be appealed.
    pub appeal: Option<String>,
    /// The letter as HTML.
    pub html: String,
    /// The letter as PDF.
    pub pdf: Vec<u8>,
}

/// A letter as listed with its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRecord {
    /// Its place among the case's letters.
    pub n: i64,
    /// Its outgoing number.
    pub number: String,
    /// What it is.
    pub kind: LetterKind,
    /// Its subject.
    pub subject: String,
    /// Its main text.
    pub body: String,
    /// What the person needs to do next.
    pub next_steps: String,
    /// A refusal's sentence on appeal.
    pub appeal: Option<String>,
    /// When it was issued.
    pub issued_at: Timestamp,
}

/// The letters table.
#[derive(Debug, Clone)]
pub struct Letters {
    db: Db,
}

impl Letters {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The place and outgoing number the case's next letter would take (`NUMBER/n`). Another
    /// letter issued meanwhile takes it first; [`Letters::store`] then reports a duplicate and
    /// the caller asks again.
    pub async fn next_number(&self, case_id: i64) -> Result<(i64, String)> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT c.registry_number, (SELECT COALESCE(MAX(n), 0) FROM letters WHERE case_id = c.id) AS last
                 FROM cases c WHERE c.id = $1",
            )
            .bind(case_id)
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| StoreError::Missing(format!("case {case_id}")))?;
            let (number, last): (String, i64) = (row.try_get("registry_number")?, row.try_get("last")?);
            Ok((last + 1, format!("{number}/{}", last + 1)))
        })
    }

    /// Stores an issued letter and records it in the case's history, in one transaction.
    pub async fn store(&self, case_id: i64, letter: &NewLetter, at: Timestamp, actor: &Actor) -> Result<()> {
        let contact = to_json(&letter.contact)?;
        let by = to_json(actor)?;
        let event = CaseEvent::LetterIssued { number: letter.number.clone(), kind: letter.kind };
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO letters (case_id, n, number, kind, subject, body, next_steps, contact, appeal, html, pdf,
                    issued_at, issued_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(case_id)
            .bind(letter.n)
            .bind(&letter.number)
            .bind(letter.kind.as_str())
            .bind(&letter.subject)
            .bind(&letter.body)
            .bind(&letter.next_steps)
            .bind(&contact)
            .bind(&letter.appeal)
            .bind(&letter.html)
            .bind(&letter.pdf)
            .bind(millis(at))
            .bind(&by)
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::constraint(e, &format!("letter {}", letter.number)))?;
            let (state, n) = replay_case!(&mut *tx, case_id);
            let state = state.map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state.apply(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            insert_event!(&mut *tx, case_id, n, at, actor, &event);
            tx.commit().await?;
            Ok(())
        })
    }

    /// A case's letters, oldest first.
    pub async fn of_case(&self, case_id: i64) -> Result<Vec<LetterRecord>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT n, number, kind, subject, body, next_steps, appeal, issued_at FROM letters\n                 WHERE case_id = $1 ORDER BY n",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(LetterRecord {
                        n: row.try_get("n")?,
                        number: row.try_get("number")?,
                        kind: parse("letter kind", &row.try_get::<String, _>("kind")?, LetterKind::parse)?,
                        subject: row.try_get("subject")?,
                        body: row.try_get("body")?,
                        next_steps: row.try_get("next_steps")?,
                        appeal: row.try_get("appeal")?,
                        issued_at: timestamp(row.try_get("issued_at")?)?,
                    })
                })
                .collect()
        })
    }

    /// A letter's outgoing number and HTML.
    pub async fn html(&self, case_id: i64, n: i64) -> Result<Option<(String, String)>> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_as("SELECT number, html FROM letters WHERE case_id = $1 AND n = $2")
                .bind(case_id)
                .bind(n)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// A letter's outgoing number and PDF.
    pub async fn pdf(&self, case_id: i64, n: i64) -> Result<Option<(String, Vec<u8>)>> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_as("SELECT number, pdf FROM letters WHERE case_id = $1 AND n = $2")
                .bind(case_id)
                .bind(n)
                .fetch_optional(pool)
                .await?)
        })
    }
}
