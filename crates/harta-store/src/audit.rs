//! The audit trail: who read or changed which case or person, and when (C5).

use jiff::Timestamp;

use crate::rows::millis;
use crate::{Db, Result, on_db};

/// Appends to the audit trail.
#[derive(Debug, Clone)]
pub struct Audit {
    db: Db,
}

impl Audit {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records that `actor` did `action` to `subject` (a registry number, a party id).
    pub async fn record(&self, at: Timestamp, actor: &str, action: &str, subject: &str, detail: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
                .bind(millis(at))
                .bind(actor)
                .bind(action)
                .bind(subject)
                .bind(detail)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// How many entries concern `subject` (for tests and the auditor's overview).
    pub async fn count_for(&self, subject: &str) -> Result<i64> {
        on_db!(read & self.db, |pool| Ok(sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE subject = $1")
            .bind(subject)
            .fetch_one(pool)
            .await?))
    }
}
