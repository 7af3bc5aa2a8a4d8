//! Outgoing letters as issued: numbered per case, stored with their texts, contact block, HTML
//! and PDF, and recorded in the case's history in the same transaction.

use harta_domain::case::{Actor, CaseEvent, TransitionError};
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

/// What issuing a letter changes besides the letter itself, in the same transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Issuing<'a> {
    /// The answer an answer letter gives (the case is answered by issuing it).
    pub answered: Option<&'a CaseEvent>,
    /// Its delivery on the person's channel.
    pub delivery: Option<&'a crate::deliveries::NewDelivery>,
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

/// A letter as issued, with what its delivery sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLetter {
    /// Its outgoing number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its main text.
    pub body: String,
    /// What the person needs to do next.
    pub next_steps: String,
    /// A refusal's sentence on appeal.
    pub appeal: Option<String>,
    /// Who signs it.
    pub contact: ContactBlock,
    /// The letter as HTML.
    pub html: String,
    /// The letter as PDF.
    pub pdf: Vec<u8>,
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

    /// Stores an issued letter, records it in the case's history, and records the answer it
    /// gives and begins its delivery, all in one transaction; refused (nothing stored) when the
    /// case's state no longer takes the answer.
    pub async fn store(
        &self,
        case_id: i64,
        letter: &NewLetter,
        at: Timestamp,
        actor: &Actor,
        with: Issuing<'_>,
    ) -> Result<std::result::Result<(), TransitionError>> {
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
            lock_case!(&mut *tx, case_id);
            let (state, mut n) = replay_case!(&mut *tx, case_id);
            let state = state.map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state.apply(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            insert_event!(&mut *tx, case_id, n, at, actor, &event);
            n += 1;
            if let Some(answered) = with.answered {
                let next = match state.apply(answered) {
                    Ok(next) => next,
                    Err(refused) => return Ok(Err(refused)),
                };
                insert_event!(&mut *tx, case_id, n, at, actor, answered);
                update_row!(&mut *tx, case_id, &next, at);
                n += 1;
            }
            if let Some(delivery) = with.delivery {
                start_delivery!(tx, case_id, letter.n, letter.number, at, actor, delivery, n);
            }
            tx.commit().await?;
            Ok(Ok(()))
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

    /// A letter as issued, to deliver it.
    pub async fn issued(&self, case_id: i64, n: i64) -> Result<Option<IssuedLetter>> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT number, subject, body, next_steps, appeal, contact, html, pdf FROM letters
                 WHERE case_id = $1 AND n = $2",
            )
            .bind(case_id)
            .bind(n)
            .fetch_optional(pool)
            .await?;
            row.map(|row| {
                let contact: String = row.try_get("contact")?;
                Ok(IssuedLetter {
                    number: row.try_get("number")?,
                    subject: row.try_get("subject")?,
                    body: row.try_get("body")?,
                    next_steps: row.try_get("next_steps")?,
                    appeal: row.try_get("appeal")?,
                    contact: serde_json::from_str(&contact).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    html: row.try_get("html")?,
                    pdf: row.try_get("pdf")?,
                })
            })
            .transpose()
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
