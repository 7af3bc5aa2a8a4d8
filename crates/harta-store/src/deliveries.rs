//! Deliveries of issued letters: one row per letter and channel tried. A delivery starts in the
//! transaction that issues its letter (or when staff choose another channel), with a job when
//! harta sends it itself (e-mail, fax); it ends, in one transaction with the event that tells
//! the case's history, when its channel confirms that it went or fails for good.

use harta_domain::case::{Actor, CaseEvent, PreferredChannel};
use harta_domain::delivery::DeliveryState;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::jobs::{Job, NewJob};
use crate::rows::{date, millis, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

/// How a new delivery begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// harta sends it itself: the job to write.
    Job(NewJob),
    /// A person does it (post, telephone, the counter): it waits in its queue.
    Queue,
    /// It cannot go on this channel at all (no address): failed at once, with the reason.
    Undeliverable(String),
}

/// A delivery to begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// The channel.
    pub channel: PreferredChannel,
    /// How it begins.
    pub start: Start,
    /// By post, with a return receipt.
    pub return_receipt: bool,
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The channel confirmed it went: where to, and what the channel said.
    Sent {
        /// Where it went.
        to: String,
        /// A `Message-ID`, a call's outcome.
        detail: String,
    },
    /// It did not go, for good.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A delivery as the case page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Its id.
    pub id: i64,
    /// The letter's place among the case's letters.
    pub letter_n: i64,
    /// The channel.
    pub channel: PreferredChannel,
    /// Where it is.
    pub state: DeliveryState,
    /// When it began.
    pub created_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// What the channel said, or why it failed.
    pub detail: Option<String>,
    /// Attempts its job made so far (0 without a job).
    pub attempts: i64,
    /// Its job's last error while it is still being retried.
    pub last_error: Option<String>,
    /// By post, with a return receipt.
    pub return_receipt: bool,
    /// The day the person signed the return receipt, once it came back.
    pub receipt_signed_on: Option<Date>,
}

/// A delivery in a queue or on the not-delivered list, with what staff need to do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDelivery {
    /// Its id.
    pub id: i64,
    /// The case's registry number.
    pub registry_number: String,
    /// The letter's outgoing number.
    pub letter_number: String,
    /// The letter's place among the case's letters.
    pub letter_n: i64,
    /// The letter's subject.
    pub subject: String,
    /// When the letter was issued.
    pub issued_at: Timestamp,
    /// The channel.
    pub channel: PreferredChannel,
    /// When the delivery began, or failed.
    pub at: Timestamp,
    /// Why it failed (the not-delivered list).
    pub detail: Option<String>,
    /// The person's name.
    pub name: String,
    /// Their e-mail address.
    pub email: Option<String>,
    /// Their postal address.
    pub address: Option<String>,
    /// Their telephone.
    pub phone: Option<String>,
    /// The case's responsible officer, if any.
    pub responsible: Option<String>,
    /// By post, with a return receipt.
    pub return_receipt: bool,
}

/// Which deliveries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing<'a> {
    /// Waiting on a channel worked by people (post, telephone, counter).
    Waiting(PreferredChannel),
    /// Failed, with no later delivery of the same letter.
    Undelivered,
    /// These ones, if still waiting (a print run).
    These(&'a [i64]),
}

/// Who the list is for: a unit's cases, one officer's, or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Only this unit's cases.
    pub unit: Option<&'a str>,
    /// Only the cases this member of staff is responsible for.
    pub responsible: Option<i64>,
}

/// A delivery as its job's worker needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryTask {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The letter's place.
    pub letter_n: i64,
    /// The channel.
    pub channel: PreferredChannel,
    /// Where it is.
    pub state: DeliveryState,
    /// By post, with a return receipt.
    pub return_receipt: bool,
    /// The day the person signed the return receipt, once it came back.
    pub receipt_signed_on: Option<Date>,
}

/// Why a return receipt cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptRefusal {
    /// The delivery went without one.
    NoReceipt,
    /// The letter has not been posted yet (or its delivery failed).
    NotPosted,
    /// It was recorded already.
    Recorded,
}

/// The day a returned receipt was signed, as a delivery row holds it.
fn receipt_day<R: Row>(row: &R) -> Result<Option<Date>>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'v> Option<String>: sqlx::Decode<'v, R::Database> + sqlx::Type<R::Database>,
{
    row.try_get::<Option<String>, _>("receipt_signed_on")?.as_deref().map(date).transpose()
}

/// Closes an `IN (` list of ids (an empty list matches nothing).
macro_rules! push_ids {
    ($q:expr, $ids:expr) => {{
        let mut list = $q.separated(", ");
        for id in $ids {
            list.push_bind(*id);
        }
        if $ids.is_empty() {
            list.push_unseparated("NULL");
        }
        $q.push(")");
    }};
}

/// The deliveries table.
#[derive(Debug, Clone)]
pub struct Deliveries {
    db: Db,
}

impl Deliveries {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Begins another delivery of an issued letter (staff chose another channel).
    pub async fn add(
        &self,
        case_id: i64,
        letter_n: i64,
        delivery: &NewDelivery,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<i64> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let number: String = sqlx::query_scalar("SELECT number FROM letters WHERE case_id = $1 AND n = $2")
                .bind(case_id)
                .bind(letter_n)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::Missing(format!("letter {letter_n}")))?;
            lock_case!(&mut *tx, case_id);
            let n = next_event_n!(&mut *tx, case_id);
            let id = start_delivery!(tx, case_id, letter_n, number, at, actor, delivery, n);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Ends a waiting delivery: marks it, records the event on its case and finishes its job,
    /// in one transaction. `false` when it was no longer waiting (somebody else ended it).
    pub async fn settle(
        &self,
        id: i64,
        at: Timestamp,
        actor: &Actor,
        outcome: &Outcome,
        job: Option<&Job>,
    ) -> Result<bool> {
        self.end(id, "pending", at, actor, outcome, job).await
    }

    /// Records a failed attempt of a waiting delivery's job: the job is tried again at
    /// `retry_at` and the case's history says so, in one transaction. `false` (and nothing
    /// recorded) when the delivery was no longer waiting.
    pub async fn attempt_failed(
        &self,
        id: i64,
        job: &Job,
        at: Timestamp,
        retry_at: Timestamp,
        reason: &str,
    ) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let row = sqlx::query(
                "SELECT d.case_id, d.channel, l.number FROM deliveries d
                 JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n WHERE d.id = $1 AND d.state = 'pending'",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(false) };
            sqlx::query("UPDATE jobs SET run_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(millis(retry_at))
                .bind(reason)
                .bind(job.id)
                .execute(&mut *tx)
                .await?;
            let case_id: i64 = row.try_get("case_id")?;
            let event = CaseEvent::LetterAttemptFailed {
                number: row.try_get("number")?,
                channel: parse("channel", &row.try_get::<String, _>("channel")?, PreferredChannel::parse)?,
                reason: reason.to_string(),
                retry_at,
            };
            lock_case!(&mut *tx, case_id);
            let n = next_event_n!(&mut *tx, case_id);
            insert_event!(&mut *tx, case_id, n, at, &Actor::System, &event);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Fails a delivery the channel had confirmed, when a bounce about it arrives later.
    pub async fn bounce(&self, id: i64, at: Timestamp, actor: &Actor, outcome: &Outcome) -> Result<bool> {
        self.end(id, "sent", at, actor, outcome, None).await
    }

    /// The e-mail delivery that sent the message `message_id` (with or without its angle
    /// brackets): its id and the case's registry number.
    pub async fn by_message_id(&self, message_id: &str) -> Result<Option<(i64, String)>> {
        let bare = message_id.trim().trim_start_matches('<').trim_end_matches('>');
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_as(
                "SELECT d.id, c.registry_number FROM deliveries d JOIN cases c ON c.id = d.case_id
                 WHERE d.channel IN ('email', 'fax') AND d.state = 'sent' AND d.detail = $1",
            )
            .bind(format!("<{bare}>"))
            .fetch_optional(pool)
            .await?)
        })
    }

    async fn end(
        &self,
        id: i64,
        from: &str,
        at: Timestamp,
        actor: &Actor,
        outcome: &Outcome,
        job: Option<&Job>,
    ) -> Result<bool> {
        let (state, detail) = match outcome {
            Outcome::Sent { detail, .. } => ("sent", detail),
            Outcome::Failed { reason } => ("failed", reason),
        };
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE deliveries SET state = $1, finished_at = $2, detail = $3 WHERE id = $4 AND state = $5",
            )
            .bind(state)
            .bind(millis(at))
            .bind(detail)
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            let row = sqlx::query(
                "SELECT d.case_id, d.channel, l.number FROM deliveries d
                 JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let case_id: i64 = row.try_get("case_id")?;
            let channel = parse("channel", &row.try_get::<String, _>("channel")?, PreferredChannel::parse)?;
            let number: String = row.try_get("number")?;
            let event = match outcome {
                Outcome::Sent { to, detail } => {
                    CaseEvent::LetterSent { number, channel, to: to.clone(), detail: detail.clone() }
                }
                Outcome::Failed { reason } => CaseEvent::LetterNotDelivered { number, channel, reason: reason.clone() },
            };
            lock_case!(&mut *tx, case_id);
            let n = next_event_n!(&mut *tx, case_id);
            insert_event!(&mut *tx, case_id, n, at, actor, &event);
            if let Some(job) = job {
                let failure = match outcome {
                    Outcome::Sent { .. } => None,
                    Outcome::Failed { reason } => Some(reason.as_str()),
                };
                finish_job!(&mut *tx, job.id, at, failure);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that the return receipt of a posted letter came back signed on `signed_on`,
    /// with the event on its case, in one transaction.
    pub async fn receipt_returned(
        &self,
        id: i64,
        signed_on: Date,
        at: Timestamp,
        actor: &Actor,
    ) -> Result<std::result::Result<(), ReceiptRefusal>> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE deliveries SET receipt_signed_on = $1
                 WHERE id = $2 AND return_receipt = 1 AND state = 'sent' AND receipt_signed_on IS NULL",
            )
            .bind(signed_on.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let row = sqlx::query(
                "SELECT d.case_id, d.state, d.return_receipt, l.number FROM deliveries d
                 JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Missing(format!("delivery {id}")))?;
            if changed == 0 {
                let refusal = if row.try_get::<i64, _>("return_receipt")? == 0 {
                    ReceiptRefusal::NoReceipt
                } else if row.try_get::<String, _>("state")? != "sent" {
                    ReceiptRefusal::NotPosted
                } else {
                    ReceiptRefusal::Recorded
                };
                return Ok(Err(refusal));
            }
            let case_id: i64 = row.try_get("case_id")?;
            let event = CaseEvent::ReceiptReturned { number: row.try_get("number")?, signed_on };
            lock_case!(&mut *tx, case_id);
            let n = next_event_n!(&mut *tx, case_id);
            insert_event!(&mut *tx, case_id, n, at, actor, &event);
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// A delivery, for its job's worker.
    pub async fn task(&self, id: i64) -> Result<Option<DeliveryTask>> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT id, case_id, letter_n, channel, state, return_receipt, receipt_signed_on FROM deliveries
                 WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.map(|row| {
                Ok(DeliveryTask {
                    id: row.try_get("id")?,
                    case_id: row.try_get("case_id")?,
                    letter_n: row.try_get("letter_n")?,
                    channel: parse("channel", &row.try_get::<String, _>("channel")?, PreferredChannel::parse)?,
                    state: parse("delivery state", &row.try_get::<String, _>("state")?, DeliveryState::parse)?,
                    return_receipt: row.try_get::<i64, _>("return_receipt")? != 0,
                    receipt_signed_on: receipt_day(&row)?,
                })
            })
            .transpose()
        })
    }

    /// A case's deliveries, oldest first.
    pub async fn of_case(&self, case_id: i64) -> Result<Vec<DeliveryRecord>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT d.id, d.letter_n, d.channel, d.state, d.created_at, d.finished_at, d.detail,
                        d.return_receipt, d.receipt_signed_on, COALESCE(j.attempts, 0) AS attempts, j.last_error
                 FROM deliveries d LEFT JOIN jobs j ON j.delivery_id = d.id
                 WHERE d.case_id = $1 ORDER BY d.id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(DeliveryRecord {
                        id: row.try_get("id")?,
                        letter_n: row.try_get("letter_n")?,
                        channel: parse("channel", &row.try_get::<String, _>("channel")?, PreferredChannel::parse)?,
                        state: parse("delivery state", &row.try_get::<String, _>("state")?, DeliveryState::parse)?,
                        created_at: timestamp(row.try_get("created_at")?)?,
                        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(timestamp).transpose()?,
                        detail: row.try_get("detail")?,
                        attempts: row.try_get("attempts")?,
                        last_error: row.try_get("last_error")?,
                        return_receipt: row.try_get::<i64, _>("return_receipt")? != 0,
                        receipt_signed_on: receipt_day(row)?,
                    })
                })
                .collect()
        })
    }

    /// A queue or the not-delivered list, oldest first, within `scope`.
    pub async fn list(&self, listing: Listing<'_>, scope: Scope<'_>) -> Result<Vec<QueuedDelivery>> {
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT d.id, c.registry_number, l.number AS letter_number, d.letter_n, l.subject, l.issued_at,
                        d.channel, COALESCE(d.finished_at, d.created_at) AS at, d.detail, p.name, p.email, p.address, p.phone,
                        s.name AS responsible, d.return_receipt
                 FROM deliveries d
                 JOIN cases c ON c.id = d.case_id
                 JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n
                 JOIN parties p ON p.id = c.party_id
                 LEFT JOIN staff s ON s.id = c.responsible_id WHERE ",
            );
            match listing {
                Listing::Waiting(channel) => {
                    q.push("d.state = 'pending' AND d.channel = ").push_bind(channel.as_str());
                }
                Listing::Undelivered => {
                    q.push(
                        "d.state = 'failed' AND NOT EXISTS (SELECT 1 FROM deliveries e
                           WHERE e.case_id = d.case_id AND e.letter_n = d.letter_n AND e.id > d.id)",
                    );
                }
                Listing::These(ids) => {
                    q.push("d.state = 'pending' AND d.id IN (");
                    push_ids!(q, ids);
                }
            }
            if let Some(unit) = scope.unit {
                q.push(" AND c.unit_code = ").push_bind(unit.to_string());
            }
            if let Some(staff) = scope.responsible {
                q.push(" AND c.responsible_id = ").push_bind(staff);
            }
            q.push(" ORDER BY d.id LIMIT 500");
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    Ok(QueuedDelivery {
                        id: row.try_get("id")?,
                        registry_number: row.try_get("registry_number")?,
                        letter_number: row.try_get("letter_number")?,
                        letter_n: row.try_get("letter_n")?,
                        subject: row.try_get("subject")?,
                        issued_at: timestamp(row.try_get("issued_at")?)?,
                        channel: parse("channel", &row.try_get::<String, _>("channel")?, PreferredChannel::parse)?,
                        at: timestamp(row.try_get("at")?)?,
                        detail: row.try_get("detail")?,
                        name: row.try_get("name")?,
                        email: row.try_get("email")?,
                        address: row.try_get("address")?,
                        phone: row.try_get("phone")?,
                        responsible: row.try_get("responsible")?,
                        return_receipt: row.try_get::<i64, _>("return_receipt")? != 0,
                    })
                })
                .collect()
        })
    }

    /// The PDFs of waiting deliveries, in the order of `ids` that are still waiting.
    pub async fn pdfs(&self, ids: &[i64]) -> Result<Vec<(i64, Vec<u8>)>> {
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT d.id, l.pdf FROM deliveries d JOIN letters l ON l.case_id = d.case_id AND l.n = d.letter_n
                 WHERE d.state = 'pending' AND d.id IN (",
            );
            push_ids!(q, ids);
            q.push(" ORDER BY d.id");
            let rows: Vec<(i64, Vec<u8>)> = q.build_query_as().fetch_all(pool).await?;
            Ok(rows)
        })
    }
}
