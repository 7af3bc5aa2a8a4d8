//! The audit trail: who read or changed which case or person, when (C5). Append-only and
//! hash-chained: each entry's hash covers its content and the previous entry's hash, and a head
//! row keeps the last sequence number and hash, so editing, deleting or inserting an entry
//! outside harta breaks the chain and [`Audit::verify`] finds where.

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::rows::millis;
use crate::{Db, Result, on_db};

/// Appends to and checks the audit trail.
#[derive(Debug, Clone)]
pub struct Audit {
    db: Db,
}

/// What [`Audit::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in place and unchanged.
    Intact {
        /// How many entries.
        entries: i64,
    },
    /// The chain is broken at this sequence number.
    Broken {
        /// The first entry that does not fit (or the head, if the last entries are gone).
        at: i64,
        /// What is wrong.
        why: String,
    },
}

/// The hash of an entry: SHA-256 over the previous hash and the entry's fields, each
/// length-prefixed so that no two different entries hash alike.
fn entry_hash(prev: &str, seq: i64, at: i64, actor: &str, action: &str, subject: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, &seq.to_string(), &at.to_string(), actor, action, subject, detail] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the chain.
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (`staff:7`, `token:3`, `citizen`, `login:1042`).
    pub actor: String,
    /// What (`view_case`, `sign_in_failed`…).
    pub action: String,
    /// On what (a registry number, a login).
    pub subject: String,
    /// More (where from).
    pub detail: String,
}

/// Which entries to show; every part optional, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exactly this actor.
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Exactly this subject.
    pub subject: Option<String>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
    /// Page size.
    pub limit: u32,
    /// Entries to skip.
    pub offset: u32,
}

impl Audit {
    /// Entries matching the filter, newest first.
    pub async fn list(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        on_db!(read & self.db, |pool| {
            let mut q =
                sqlx::QueryBuilder::new("SELECT seq, at, actor, action, subject, detail FROM audit_log WHERE 1 = 1");
            if let Some(v) = &f.actor {
                q.push(" AND actor = ").push_bind(v.clone());
            }
            if let Some(v) = &f.action {
                q.push(" AND action = ").push_bind(v.clone());
            }
            if let Some(v) = &f.subject {
                q.push(" AND subject = ").push_bind(v.clone());
            }
            if let Some(v) = f.from {
                q.push(" AND at >= ").push_bind(millis(v));
            }
            if let Some(v) = f.until {
                q.push(" AND at < ").push_bind(millis(v));
            }
            q.push(" ORDER BY seq DESC LIMIT ").push_bind(i64::from(f.limit));
            q.push(" OFFSET ").push_bind(i64::from(f.offset));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditEntry {
                        seq: r.try_get("seq")?,
                        at: crate::rows::timestamp(r.try_get("at")?)?,
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        subject: r.try_get("subject")?,
                        detail: r.try_get("detail")?,
                    })
                })
                .collect()
        })
    }

    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records that `actor` did `action` to `subject` (a registry number, a party id).
    pub async fn record(&self, at: Timestamp, actor: &str, action: &str, subject: &str, detail: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            // Advancing the head first serialises appends: the chain has one order everywhere.
            let (seq, prev): (i64, String) =
                sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut *tx)
                    .await?;
            let hash = entry_hash(&prev, seq, millis(at), actor, action, subject, detail);
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(seq)
            .bind(millis(at))
            .bind(actor)
            .bind(action)
            .bind(subject)
            .bind(detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&hash).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// How many entries concern `subject`.
    pub async fn count_for(&self, subject: &str) -> Result<i64> {
        on_db!(read & self.db, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE subject = $1")
            .bind(subject)
            .fetch_one(pool)
            .await?))
    }

    /// Walks the whole chain and says whether it is intact, or where it breaks.
    pub async fn verify(&self) -> Result<Verdict> {
        on_db!(read & self.db, |pool| {
            let (head_seq, head_hash): (i64, String) =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?;
            let mut prev = String::new();
            let mut expected = 1i64;
            // Pages in sequence order, so that a long trail is checked in bounded memory.
            loop {
                let rows = sqlx::query(
                    "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
                     WHERE seq >= $1 ORDER BY seq LIMIT 10000",
                )
                .bind(expected)
                .fetch_all(pool)
                .await?;
                if rows.is_empty() {
                    break;
                }
                for row in &rows {
                    let seq: i64 = row.try_get("seq")?;
                    let text = |c: &str| row.try_get::<String, _>(c);
                    if seq != expected {
                        return Ok(Verdict::Broken { at: expected, why: "this entry is missing".into() });
                    }
                    if text("prev_hash")? != prev {
                        return Ok(Verdict::Broken { at: seq, why: "it does not follow the entry before it".into() });
                    }
                    let hash = entry_hash(
                        &prev,
                        seq,
                        row.try_get("at")?,
                        &text("actor")?,
                        &text("action")?,
                        &text("subject")?,
                        &text("detail")?,
                    );
                    if hash != text("hash")? {
                        return Ok(Verdict::Broken { at: seq, why: "its content was changed".into() });
                    }
                    prev = hash;
                    expected += 1;
                }
            }
            if expected - 1 != head_seq || prev != head_hash {
                return Ok(Verdict::Broken { at: head_seq, why: "the last entries are missing".into() });
            }
            Ok(Verdict::Intact { entries: head_seq })
        })
    }
}
